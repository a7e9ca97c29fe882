package import Foundation
package import Logging
import NIOConcurrencyHelpers
import NIOSSL
import ServiceLifecycle
package import TernMessage
package import TernPolicy
package import TernSMTPCore
package import TernSpool

/// The queue manager: delivers spooled messages to local Maildirs and to other hosts, retries
/// temporary failures, and reports to senders.
///
/// At start it loads every envelope from the spool; afterwards the daemon announces each new
/// message with `submitted(_:)`. A due message goes through two lanes (`QueueLane`), each
/// working on up to `concurrency` messages at once: the local lane writes its local
/// recipients' copies to their Maildirs; then, if it has recipients for other hosts, the
/// remote lane groups them by destination (`[routes]`, the smarthost, or MX) and hands them to
/// the `OutboundDispatcher`, which keeps the connection limits and sends messages for one
/// destination over shared connections. Mail waiting for slow hosts never holds up local
/// delivery. After each attempt the envelope is rewritten with
/// every recipient's status, so a recipient recorded as delivered is never sent again after a
/// restart.
///
/// Deferred recipients are tried again after the `[delivery] retry` waits, each stretched or
/// shortened by up to a tenth at random so retries spread out; past `max_lifetime` they fail.
/// Failure, delay (after `warn_after`) and success reports go to the sender as RFC 3464
/// messages through the spool, as its recipients' `NOTIFY=` asks, never to `<>`. On graceful
/// shutdown the runner stops between chunks and records what was delivered so far.
package final class QueueRunner: Service {
    let spool: any SpoolStore
    let courier: MaildirCourier
    let hostname: String
    let logger: Logger
    let settings: DeliverySettings
    let dispatcher: OutboundDispatcher
    let dsn: DSNBuilder
    /// Where a report to `mailbox` goes: its local or remote targets, none if nobody takes it.
    let reportTargets: @Sendable (Mailbox) -> [DeliveryTarget]
    let locks = MessageLocks()
    /// Messages whose local copies may have been written without their status being recorded:
    /// those found at start (an attempt may have been under way when the server stopped) and
    /// those whose record failed to be written. Their next local delivery looks for the copy
    /// first (`MaildirCourier`).
    let unrecorded = NIOLockedValueBox<Set<QueueID>>([])
    /// Hold domains with an ETRN run or a turned ATRN connection under way.
    let holdLocks = HoldLocks()
    let now: @Sendable () -> Date
    private let concurrency: Int
    private let sleep: @Sendable (Duration) async throws -> Void
    private let jitter: @Sendable (Duration) -> Duration
    private let events: AsyncStream<QueueEvent>
    let eventSink: AsyncStream<QueueEvent>.Continuation

    /// A queue manager for `spool`.
    ///
    /// - Parameters:
    ///   - spool: The queue.
    ///   - courier: Writes local copies.
    ///   - hostname: This server's name, for `Received:`, EHLO and reports.
    ///   - settings: `[delivery]`, `[routes]` and the smarthost.
    ///   - resolver: Finds mail exchangers.
    ///   - reportTargets: Where a report to a sender goes (local Maildir, or relayed).
    ///   - logger: One line per delivery, deferral, failure and report.
    package convenience init(
        spool: any SpoolStore, courier: MaildirCourier, hostname: String, settings: DeliverySettings,
        resolver: any MXResolving, reportTargets: @escaping @Sendable (Mailbox) -> [DeliveryTarget], logger: Logger
    ) throws {
        try self.init(
            spool: spool, courier: courier, hostname: hostname, settings: settings, resolver: resolver,
            reportTargets: reportTargets, logger: logger,
            concurrency: 2 * settings.concurrency, peerTimeout: .seconds(300), now: { Date() },
            sleep: { try await Task.sleep(for: $0) },
            jitter: { $0 * Double.random(in: 0.9...1.1) })
    }

    /// A runner with its clock, sleep, jitter and peer timeout injected, for tests.
    package init(
        spool: any SpoolStore, courier: MaildirCourier, hostname: String, settings: DeliverySettings,
        resolver: any MXResolving, reportTargets: @escaping @Sendable (Mailbox) -> [DeliveryTarget],
        logger: Logger, concurrency: Int, peerTimeout: Duration, now: @escaping @Sendable () -> Date,
        sleep: @escaping @Sendable (Duration) async throws -> Void, jitter: @escaping @Sendable (Duration) -> Duration
    ) throws {
        let tls = try NIOSSLContext(configuration: Self.clientTLS)
        precondition(concurrency > 0, "the queue runner needs at least one delivery slot")
        self.spool = spool
        self.courier = courier
        self.hostname = hostname
        self.logger = logger
        self.settings = settings
        self.dispatcher = OutboundDispatcher(
            transport: OutboundTransport(
                finder: PeerFinder(resolver: resolver, smtpPort: settings.smtpPort, ownEndpoints: settings.ownEndpoints),
                hostname: hostname, tls: tls,
                requireTLS: settings.requireTLS,
                smarthostLogin: settings.smarthost.flatMap { hop in settings.smarthostLogin.map { (hop, $0) } },
                timeout: peerTimeout, logger: logger),
            concurrency: settings.concurrency, perDestination: settings.perDestination)
        self.dsn = DSNBuilder(reportingHost: hostname)
        self.reportTargets = reportTargets
        self.concurrency = concurrency
        self.now = now
        self.sleep = sleep
        self.jitter = jitter
        (events, eventSink) = AsyncStream.makeStream(of: QueueEvent.self)
    }

    /// TLS for STARTTLS to peers: TLS 1.2 or later, certificates not verified (RFC 3207 §4.1,
    /// opportunistic encryption as mail exchangers practise it).
    private static var clientTLS: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .none
        return configuration
    }

    /// Announces a message just committed to the spool. Never blocks.
    package func submitted(_ id: QueueID) {
        eventSink.yield(.submitted(id))
    }

    /// Runs until cancelled or until graceful shutdown. Call it once.
    package func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await self.schedule()
        }
    }

    /// The wait before the next attempt after `attempts` attempts, with jitter.
    func retryDelay(afterAttempt attempts: Int) -> Duration {
        jitter(settings.retry.delay(afterAttempt: attempts))
    }

    // MARK: Scheduling

    private func schedule() async throws {
        let envelopes = try await spool.all()
        unrecorded.withLockedValue { $0.formUnion(envelopes.map(\.id)) }
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
                plan(envelope.id, at: wakeTime(of: envelope))
            }
            var incoming = events.makeAsyncIterator()
            repeat {
                while let (id, lane) = schedule.start() {
                    group.addTask { [self] in
                        switch await locks.withLock(id, { await self.attempt(id, in: lane) }) {
                        case .remoteDue: eventSink.yield(.handOff(id))
                        case .done(let next): eventSink.yield(.finished(id, next: next))
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
                    group.addTask { [self] in await self.runRelease(domains, ids) }
                }
            } while true
        }
        logger.info("queue runner stopped")
    }

    /// When the runner has work on `envelope`: now if a recipient is pending, or is final with
    /// its report not yet settled, or all are done (the message is to be removed);
    /// `nextAttempt` if one is deferred; when `hold_lifetime` runs out for a held recipient
    /// (held recipients are otherwise sent only when released); never while the operator holds
    /// the message.
    func wakeTime(of envelope: Envelope) -> Date? {
        if envelope.held { return nil }
        var wake: Date?
        for recipient in envelope.recipients {
            if heldDomain(of: recipient) != nil && !recipient.status.isFinal {
                wake = min(wake ?? .distantFuture, holdExpiry(of: envelope))
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

    /// The hold domain `recipient` waits for, lower-cased; nil when its mail is not held.
    func heldDomain(of recipient: EnvelopeRecipient) -> String? {
        guard case .remote(let mailbox) = recipient.target, settings.isHeld(mailbox.domain) else { return nil }
        return mailbox.domain.normalized
    }

    /// When the held recipients of `envelope` fail: `hold_lifetime` after it arrived.
    func holdExpiry(of envelope: Envelope) -> Date {
        envelope.receivedAt + settings.holdLifetime.timeInterval
    }
}
