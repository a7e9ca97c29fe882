import Foundation
import Logging
import TernMessage
import TernPolicy
import TernSMTPCore
import TernSpool

/// The queue manager's scheduler: when each message is attempted, in which lane, how many at
/// once.
///
/// At start it reads every envelope from the spool and plans each one (`wakeTime(of:)`); from
/// then on its view of the queue is the `QueueSchedule` (messages waiting for a slot, those
/// being attempted, retry timers), kept by `QueueEvent`s: new messages (`submitted(_:)`), timers
/// firing, attempts ending, and ETRN runs (`release(_:_:)`). A due message goes through two
/// lanes (`QueueLane`), each working on up to `concurrency` messages at once: the local lane
/// writes its local copies; then, if it has recipients for other hosts, the remote lane sends
/// them. Mail waiting for slow hosts never holds up local delivery. Every attempt runs under the
/// message's lock (`MessageLocks`), so `tern queue` never rewrites an envelope at the same time.
///
/// The figures of `tern queue list` and HELP STATUS are not taken from here but from the spool
/// (`QueueController`): the schedule knows only ids, and it learns of a commit or an operator's
/// change only after the spool has it.
final class QueueScheduler: Sendable {
    /// One holder at a time per message.
    let locks: MessageLocks
    /// Hold domains with an ETRN run or a turned ATRN connection under way.
    let holdLocks: HoldLocks
    private let spool: any SpoolStore
    private let attempt: DeliveryAttempt
    private let settings: DeliverySettings
    private let concurrency: Int
    private let now: @Sendable () -> Date
    private let sleep: @Sendable (Duration) async throws -> Void
    private let events: AsyncStream<QueueEvent>
    private let sink: AsyncStream<QueueEvent>.Continuation
    private let logger: Logger

    /// A scheduler running `attempt` on the messages of `spool`, up to `concurrency` in each
    /// lane, woken by `events` (whose continuation is `sink`: reports are announced there too).
    init(
        spool: any SpoolStore, attempt: DeliveryAttempt, settings: DeliverySettings, locks: MessageLocks,
        concurrency: Int, now: @escaping @Sendable () -> Date, sleep: @escaping @Sendable (Duration) async throws -> Void,
        events: AsyncStream<QueueEvent>, sink: AsyncStream<QueueEvent>.Continuation, logger: Logger
    ) {
        precondition(concurrency > 0, "the queue runner needs at least one delivery slot")
        self.spool = spool
        self.attempt = attempt
        self.settings = settings
        self.locks = locks
        holdLocks = HoldLocks(leases: spool.leases, logger: logger)
        self.concurrency = concurrency
        self.now = now
        self.sleep = sleep
        self.events = events
        self.sink = sink
        self.logger = logger
    }

    /// Announces a message just committed to the spool, or changed. Never blocks.
    func submitted(_ id: QueueID) {
        sink.yield(.submitted(id))
    }

    /// Starts an ETRN run: one remote-lane attempt for each of `ids`, their recipients in
    /// `domains` released; the domains, locked by the caller, are unlocked when it ends.
    func release(_ domains: Set<String>, _ ids: [QueueID]) {
        sink.yield(.release(domains, ids))
    }

    /// Loads the queue and schedules until cancelled. Call it once.
    func run() async throws {
        let envelopes = try await spool.all()
        attempt.markUnrecorded(envelopes.map(\.id))
        logger.info("queue runner started", metadata: ["messages": "\(envelopes.count)"])
        await withDiscardingTaskGroup { group in
            var schedule = QueueSchedule(concurrency: concurrency)
            func plan(_ id: QueueID, at wake: Date?) {
                guard let wake else { return }
                if wake <= now() {
                    schedule.enqueue(id)
                } else if schedule.setTimer(id, at: wake) {
                    let delay = Duration.seconds(wake.timeIntervalSince(now()))
                    group.addTask { [sleep, sink] in
                        guard (try? await sleep(delay)) != nil else { return }
                        sink.yield(.due(id, wake))
                    }
                }
            }
            for envelope in envelopes {
                plan(envelope.id, at: wakeTime(of: envelope))
            }
            if let leases = spool.leases {
                group.addTask { [self] in await claimDue(leases) }
            }
            var incoming = events.makeAsyncIterator()
            repeat {
                while let (id, lane) = schedule.start() {
                    group.addTask { [self] in
                        switch await locks.withLock(id, end: leaseEnd, { await self.attempt.perform(id, in: lane) }) {
                        case .remoteDue: sink.yield(.handOff(id))
                        case .over(let envelope): sink.yield(.finished(id, next: envelope.flatMap(wakeTime)))
                        case .retry(let time): sink.yield(.finished(id, next: time))
                        case nil: sink.yield(.finished(id, next: nil))  // another node works on it
                        }
                    }
                }
                guard let event = await incoming.next() else { break }
                switch event {
                case .submitted(let id):
                    schedule.enqueue(id)
                case .due(let id, let wake):
                    if schedule.timerFired(id, at: wake) { schedule.enqueue(id) }
                case .finished(let id, let next):
                    if !schedule.finish(id) { plan(id, at: next) }
                case .handOff(let id):
                    schedule.handOff(id)
                case .release(let domains, let ids):
                    group.addTask { [self] in await runRelease(domains, ids) }
                }
            } while true
        }
        logger.info("queue runner stopped")
    }

    /// In a queue shared by several nodes, what the other nodes committed, gave back as due, or
    /// left behind when they died: claimed every `claimInterval` (as many as two rounds of slots)
    /// and put in line until cancelled.
    private func claimDue(_ leases: any MessageLeases) async {
        repeat {
            do {
                for id in try await leases.claimDue(limit: 4 * concurrency) { sink.yield(.submitted(id)) }
            } catch {
                logger.error("cannot claim due messages", metadata: ["error": "\(String(reflecting: error))"])
            }
        } while (try? await sleep(Self.claimInterval)) != nil
    }

    /// How often a node of a shared queue looks for due messages no node holds.
    static let claimInterval = Duration.seconds(1)

    /// One attempt for each message, its recipients in `domains` released; then the domains
    /// are unlocked and the messages go back to the scheduler for their other recipients.
    private func runRelease(_ domains: Set<String>, _ ids: [QueueID]) async {
        await withDiscardingTaskGroup { group in
            for id in ids {
                group.addTask { [self] in
                    await release(id, domains)
                    submitted(id)
                }
            }
        }
        holdLocks.unlock(domains)
        logger.info("release run ended", metadata: ["domains": "\(domains.sorted())"])
    }

    /// One attempt for `id`, its recipients in `domains` released. In a shared queue another
    /// node may hold the message for a moment (its scheduler looks at it after a run of its own
    /// ends): the run asks for the lease again every `leaseRetry`, for at most one lease's
    /// length, after which any lease has run out; it stops asking once the message is gone.
    private func release(_ id: QueueID, _ domains: Set<String>) async {
        let giveUp = ContinuousClock.now + (spool.leases?.duration ?? .zero)
        while await locks.withLock(id, { await self.attempt.perform(id, in: .remote, releasing: domains) }) == nil {
            guard (try? await spool.envelope(id)) != nil else { return }
            guard ContinuousClock.now < giveUp, (try? await sleep(Self.leaseRetry)) != nil else {
                logger.warning("held message left for the next run: another node holds it", metadata: ["queue_id": "\(id)"])
                return
            }
        }
    }

    /// How often a release run asks again for a message another node holds.
    static let leaseRetry = Duration.milliseconds(200)

    /// What becomes of a message's lease after an attempt that ended with `outcome`: kept for
    /// the remote lane, given back with the retry time or the envelope's wake time, nothing
    /// once the message is gone.
    @Sendable private func leaseEnd(after outcome: AttemptOutcome) -> MessageLocks.LeaseEnd {
        switch outcome {
        case .remoteDue: .keep
        case .over(nil): .gone
        case .over(let envelope?): .due(wakeTime(of: envelope) ?? .distantFuture)
        case .retry(let time): .due(time)
        }
    }

    /// When the scheduler has work on `envelope`: now if a recipient is pending, or is final
    /// with its report not yet settled, or all are done (the message is to be removed);
    /// `nextAttempt` if one is deferred; when `hold_lifetime` runs out for a held recipient
    /// (held recipients are otherwise sent only when released); never while the operator holds
    /// the message.
    private func wakeTime(of envelope: Envelope) -> Date? {
        if envelope.held { return nil }
        var wake: Date?
        for recipient in envelope.recipients {
            if settings.heldDomain(of: recipient) != nil && !recipient.status.isFinal {
                wake = min(wake ?? .distantFuture, settings.holdExpiry(of: envelope))
                continue
            }
            switch recipient.status {
            case .pending: return .distantPast
            case .deferred: wake = min(wake ?? .distantFuture, envelope.nextAttempt ?? .distantPast)
            case .delivered, .failed: if !recipient.reportsSent.contains(.final) { return .distantPast }
            }
        }
        return wake ?? .distantPast
    }
}
