import Foundation
import Logging
import ServiceLifecycle
import TernSMTPCore
import TernSpool

/// Delivers spooled messages to their local recipients and retries temporary failures.
///
/// At start it loads every envelope from the spool; afterwards the daemon announces each new
/// message with `submitted(_:)`. Up to `concurrency` messages are delivered at once. After
/// each attempt the envelope is updated with every recipient's status, and the message is
/// removed once all recipients are final. Recipients with a `.remote` target are left for the
/// outbound relay, which comes later: their messages stay in the spool.
///
/// A deferred delivery is retried after the `RetryPolicy` delay; past its maximum age it fails.
/// On graceful shutdown the runner stops between chunks: a partly written Maildir file is
/// removed, and what was delivered so far is recorded.
public final class QueueRunner: Service {
    private let spool: any SpoolStore
    private let courier: MaildirCourier
    private let hostname: String
    private let logger: Logger
    private let retry: RetryPolicy
    private let concurrency: Int
    private let now: @Sendable () -> Date
    private let sleep: @Sendable (Duration) async throws -> Void
    private let events: AsyncStream<QueueEvent>
    private let eventSink: AsyncStream<QueueEvent>.Continuation

    /// A runner for `spool`, delivering with `courier`; `hostname` goes into `Received:`.
    public convenience init(
        spool: any SpoolStore, courier: MaildirCourier, hostname: String, logger: Logger,
        retry: RetryPolicy = .standard, concurrency: Int = 32
    ) {
        self.init(
            spool: spool, courier: courier, hostname: hostname, logger: logger, retry: retry,
            concurrency: concurrency, now: { Date() }, sleep: { try await Task.sleep(for: $0) })
    }

    /// A runner with its clock and its sleep injected, so tests need not wait for retries.
    package init(
        spool: any SpoolStore, courier: MaildirCourier, hostname: String, logger: Logger, retry: RetryPolicy,
        concurrency: Int, now: @escaping @Sendable () -> Date, sleep: @escaping @Sendable (Duration) async throws -> Void
    ) {
        precondition(concurrency > 0, "the queue runner needs at least one delivery slot")
        self.spool = spool
        self.courier = courier
        self.hostname = hostname
        self.logger = logger
        self.retry = retry
        self.concurrency = concurrency
        self.now = now
        self.sleep = sleep
        (events, eventSink) = AsyncStream.makeStream(of: QueueEvent.self)
    }

    /// Announces a message just committed to the spool. Never blocks.
    public func submitted(_ id: QueueID) {
        eventSink.yield(.submitted(id))
    }

    /// Runs until cancelled or until graceful shutdown. Call it once.
    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await self.schedule()
        }
    }

    // MARK: Scheduling

    private func schedule() async throws {
        let envelopes = try await spool.all()
        logger.info("queue runner started", metadata: ["messages": "\(envelopes.count)"])
        await withDiscardingTaskGroup { group in
            var schedule = QueueSchedule(concurrency: concurrency)
            func plan(_ id: QueueID, at wake: Date?) {
                guard let wake else { return }
                if wake <= now() {
                    schedule.enqueue(id)
                } else if schedule.setTimer(id, at: wake) {
                    let delay = Duration.seconds(wake.timeIntervalSince(now()))
                    group.addTask { [sleep, eventSink] in
                        guard (try? await sleep(delay)) != nil else { return }
                        eventSink.yield(.due(id, wake))
                    }
                }
            }
            for envelope in envelopes {
                plan(envelope.id, at: Self.wakeTime(of: envelope))
            }
            var incoming = events.makeAsyncIterator()
            repeat {
                while let id = schedule.start() {
                    group.addTask { [self] in
                        let next = await self.attempt(id)
                        eventSink.yield(.finished(id, next: next))
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
                }
            } while true
        }
        logger.info("queue runner stopped")
    }

    /// When the runner has work on `envelope`: now if a local recipient is pending or all are
    /// final (it is to be removed), `nextAttempt` if a local recipient is deferred, else never.
    private static func wakeTime(of envelope: Envelope) -> Date? {
        if envelope.recipients.allSatisfy(\.status.isFinal) { return .distantPast }
        var wake: Date?
        for recipient in envelope.recipients {
            guard case .local = recipient.target else { continue }
            switch recipient.status {
            case .pending: return .distantPast
            case .deferred: wake = envelope.nextAttempt ?? .distantPast
            case .delivered, .failed: continue
            }
        }
        return wake
    }

    // MARK: Delivery

    /// One delivery attempt for the due local recipients of `id`; returns when to wake for it next.
    private func attempt(_ id: QueueID) async -> Date? {
        var envelope: Envelope
        let body: SpoolBody
        do {
            envelope = try await spool.envelope(id)
            body = try await spool.openBody(id)
        } catch SpoolError.unknownMessage {
            return nil
        } catch {
            logger.error("cannot read spooled message", metadata: ["queue_id": "\(id)", "error": "\(error)"])
            return now() + retry.delay(afterAttempt: 1).timeInterval
        }
        let started = now()
        let deferredAreDue = (envelope.nextAttempt ?? .distantPast) <= started
        var attempted = false
        for index in envelope.recipients.indices {
            let recipient = envelope.recipients[index]
            guard case .local(let mailbox) = recipient.target else { continue }
            switch recipient.status {
            case .pending: break
            case .deferred where deferredAreDue: break
            case .deferred, .delivered, .failed: continue
            }
            if Task.isCancelled { break }
            let metadata: Logger.Metadata = ["queue_id": "\(id)", "to": "\(mailbox)"]
            do {
                let path = try await courier.deliver(
                    envelope, to: mailbox, for: recipient.original, body: body, receivedBy: hostname)
                envelope.recipients[index].status = .delivered(now())
                logger.info("delivered", metadata: metadata.merging(["path": "\(path)"]) { $1 })
            } catch is CancellationError {
                break
            } catch let error as MaildirDeliveryError {
                envelope.recipients[index].status = .failed("\(error)")
                logger.error("delivery failed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            } catch {
                envelope.recipients[index].status = .deferred("\(error)")
                logger.warning("delivery deferred", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            }
            attempted = true
        }
        guard attempted || envelope.recipients.allSatisfy(\.status.isFinal) else { return Self.wakeTime(of: envelope) }
        if attempted {
            envelope.attempts += 1
            scheduleRetry(&envelope, startedAt: started)
        }
        do {
            if envelope.recipients.allSatisfy(\.status.isFinal) {
                try await spool.remove(id)
                logger.debug("removed from spool", metadata: ["queue_id": "\(id)"])
                return nil
            }
            try await spool.update(envelope)
        } catch {
            logger.error("cannot record delivery status", metadata: ["queue_id": "\(id)", "error": "\(error)"])
            return now() + retry.delay(afterAttempt: 1).timeInterval
        }
        return Self.wakeTime(of: envelope)
    }

    // Sets the next attempt for deferred local recipients, or fails them once the message is
    // older than the policy allows.
    private func scheduleRetry(_ envelope: inout Envelope, startedAt started: Date) {
        let deferred = envelope.recipients.indices.filter { index in
            guard case .local = envelope.recipients[index].target,
                case .deferred = envelope.recipients[index].status
            else { return false }
            return true
        }
        guard !deferred.isEmpty else { return }
        if started.timeIntervalSince(envelope.receivedAt) < retry.maximumAge.timeInterval {
            envelope.nextAttempt = started + retry.delay(afterAttempt: envelope.attempts).timeInterval
            return
        }
        for index in deferred {
            guard case .deferred(let reason) = envelope.recipients[index].status else { continue }
            envelope.recipients[index].status = .failed("gave up after \(envelope.attempts) attempts: \(reason)")
            logger.error(
                "delivery failed",
                metadata: [
                    "queue_id": "\(envelope.id)", "to": "\(envelope.recipients[index].target.mailbox)",
                    "error": "expired: \(reason)",
                ])
        }
    }
}
