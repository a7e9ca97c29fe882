package import Foundation
package import Logging
package import NIOCore
import NIOPosix
import ServiceLifecycle
import TernIO
package import TernMessage
package import TernPolicy
package import TernSMTPCore
package import TernSpool

/// The queue manager, as the service the daemon starts: delivers spooled messages to local
/// Maildirs and to other hosts, retries temporary failures, and reports to senders. It is put
/// together from parts:
///
/// - `QueueScheduler` loads the spool at start, then decides when each message is attempted,
///   in a local and a remote lane;
/// - `DeliveryAttempt` attempts one message, handing its recipients to the couriers it is given
///   (`MaildirCourier` for local copies, `RelayCourier` for other hosts) and recording every
///   recipient's status in the envelope, so a recipient recorded as delivered is never sent again
///   after a restart;
/// - `ReportWriter` sends failure, delay (after `warn_after`) and success reports as RFC 3464
///   messages through the spool, as the recipients' `NOTIFY=` asks, never to `<>`;
/// - `QueueController` answers `tern queue` and HELP STATUS;
/// - `HeldMailRelease` sends mail held for ETRN and ATRN nodes when they ask for it.
///
/// Deferred recipients are tried again after the `[delivery] retry` waits, each stretched or
/// shortened by up to a tenth at random so retries spread out; past `max_lifetime` they fail.
/// On graceful shutdown the runner stops between chunks and records what was delivered so far.
package final class QueueRunner: Service {
    /// `tern queue` and the figures of HELP STATUS.
    package let control: QueueController
    private let scheduler: QueueScheduler
    private let heldMail: HeldMailRelease
    private let attempt: DeliveryAttempt

    /// A queue manager for `spool`.
    ///
    /// - Parameters:
    ///   - spool: The queue.
    ///   - local: Writes local copies (`MaildirCourier`).
    ///   - relay: Sends to other hosts (`RelayCourier`).
    ///   - hostname: This server's name, for reports and EHLO on turned connections.
    ///   - settings: `[delivery]`, `[routes]` and the smarthost.
    ///   - reportTargets: Where a report to a sender goes (local Maildir, or relayed).
    ///   - logger: One line per delivery, deferral, failure and report.
    package convenience init(
        spool: any SpoolStore, local: any Courier & Sendable, relay: any Courier & Sendable, hostname: String,
        settings: DeliverySettings, reportTargets: @escaping @Sendable (Mailbox) -> [DeliveryTarget], logger: Logger
    ) {
        self.init(
            spool: spool, local: local, relay: relay, hostname: hostname, settings: settings,
            reportTargets: reportTargets, logger: logger, concurrency: 2 * settings.concurrency, now: { Date() },
            sleep: { try await Task.sleep(for: $0) },
            jitter: { $0 * Double.random(in: 0.9...1.1) })
    }

    /// A runner with `concurrency` slots per lane and its clock, sleep and jitter injected, for tests.
    package init(
        spool: any SpoolStore, local: any Courier & Sendable, relay: any Courier & Sendable, hostname: String,
        settings: DeliverySettings, reportTargets: @escaping @Sendable (Mailbox) -> [DeliveryTarget], logger: Logger,
        concurrency: Int, now: @escaping @Sendable () -> Date,
        sleep: @escaping @Sendable (Duration) async throws -> Void, jitter: @escaping @Sendable (Duration) -> Duration
    ) {
        let (events, sink) = AsyncStream.makeStream(of: QueueEvent.self)
        let reports = ReportWriter(
            spool: spool, settings: settings, hostname: hostname, reportTargets: reportTargets, now: now,
            announce: { sink.yield(.submitted($0)) }, logger: logger)
        let attempt = DeliveryAttempt(
            spool: spool, local: local, relay: relay, settings: settings, reports: reports, now: now, jitter: jitter,
            logger: logger)
        self.attempt = attempt
        scheduler = QueueScheduler(
            spool: spool, attempt: attempt, settings: settings, locks: MessageLocks(leases: spool.leases, logger: logger),
            concurrency: concurrency,
            now: now, sleep: sleep, events: events, sink: sink, logger: logger)
        heldMail = HeldMailRelease(
            spool: spool, settings: settings, scheduler: scheduler, hostname: hostname, now: now, logger: logger)
        control = QueueController(
            spool: spool, settings: settings, scheduler: scheduler, heldMail: heldMail, logger: logger)
    }

    /// Announces a message just committed to the spool. Never blocks.
    ///
    /// - Parameter mayHaveLocalCopies: Whether some local copies may have been written already
    ///   (a delivery at acceptance that did not finish): its local delivery looks for them first.
    package func submitted(_ id: QueueID, mayHaveLocalCopies: Bool = false) {
        if mayHaveLocalCopies { attempt.markUnrecorded([id]) }
        scheduler.submitted(id)
    }

    /// Runs until cancelled or until graceful shutdown. Call it once.
    ///
    /// The scheduler and every attempt it starts run on one event loop (`EventLoopTaskExecutor`):
    /// a message announced, a file operation finished on the thread pool or a peer's reply
    /// resumes queue work there, not on the global executor's threads (docs/architecture.md
    /// "Event loops, tasks and one thread pool").
    package func run() async throws {
        try await withTaskExecutorPreference(EventLoopTaskExecutor(MultiThreadedEventLoopGroup.singleton.next())) {
            try await cancelWhenGracefulShutdown {
                try await self.scheduler.run()
            }
        }
    }

    // MARK: ETRN and ATRN (`HeldMailRelease`)

    /// Starts an ETRN run for `domains`; how many messages it covers.
    package func releaseHeld(_ domains: Set<String>) async throws(HeldMailUnavailable) -> Int {
        try await heldMail.releaseHeld(domains)
    }

    /// Locks `domains` for a turned ATRN connection and lists their held mail; nil when none.
    package func reserveHeld(_ domains: Set<String>) async throws(HeldMailUnavailable) -> HeldMailReservation? {
        try await heldMail.reserveHeld(domains)
    }

    /// Unlocks the domains of a reservation that never got its turned connection.
    package func abandon(_ reservation: HeldMailReservation) {
        heldMail.abandon(reservation)
    }

    /// Delivers the reserved mail over the connection ATRN turned around, then unlocks the domains.
    package func deliverHeld<Input: AsyncIteratorProtocol>(
        _ reservation: HeldMailReservation, peer: String, early: ByteBuffer, input: inout Input,
        output: NIOAsyncChannelOutboundWriter<ByteBuffer>, channel: any Channel, timeout: Duration
    ) async where Input.Element == ByteBuffer {
        await heldMail.deliverHeld(
            reservation, peer: peer, early: early, input: &input, output: output, channel: channel, timeout: timeout)
    }
}
