import Foundation
import Logging
import NIOCore
import TernMessage
import TernSMTPCore
import TernSpool
import TernPolicy

/// Writes delivery status notifications to senders (RFC 3461 §6, RFC 3464; docs/behaviour.md
/// §9): after each attempt, the failures, delays (after `warn_after`) and, when asked,
/// deliveries of a message, in one `DSNBuilder` report spooled as a new message from `<>`, which
/// takes the same path as any other.
struct ReportWriter: Sendable {
    let spool: any SpoolStore
    let settings: DeliverySettings
    /// This server's name, as the reporting MTA and the report's client.
    let hostname: String
    let dsn: DSNBuilder
    /// Where a report to `mailbox` goes: its local or remote targets, none if nobody takes it.
    let reportTargets: @Sendable (Mailbox) -> [DeliveryTarget]
    let now: @Sendable () -> Date
    /// Hands a spooled report to the scheduler.
    let announce: @Sendable (QueueID) -> Void
    let logger: Logger

    init(
        spool: any SpoolStore, settings: DeliverySettings, hostname: String,
        reportTargets: @escaping @Sendable (Mailbox) -> [DeliveryTarget], now: @escaping @Sendable () -> Date,
        announce: @escaping @Sendable (QueueID) -> Void, logger: Logger
    ) {
        self.spool = spool
        self.settings = settings
        self.hostname = hostname
        self.dsn = DSNBuilder(reportingHost: hostname)
        self.reportTargets = reportTargets
        self.now = now
        self.announce = announce
        self.logger = logger
    }

    /// Reports what is due about `envelope`'s recipients in one message to the sender, and
    /// marks them reported: final outcomes not yet settled, and deferred recipients once the
    /// message is older than `warn_after`. A recipient that did not ask for a report, or a
    /// message from `<>`, is settled without one. When the report can't be spooled nothing is
    /// marked, so the next attempt tries again.
    func sendReports(_ envelope: inout Envelope, body: SpoolBody) async {
        let time = now()
        let warn = time.timeIntervalSince(envelope.receivedAt) >= settings.warnAfter.timeInterval
        var reports: [DSNRecipientReport] = []
        var settled: [(index: Int, report: ReportsSent)] = []
        for (index, recipient) in envelope.recipients.enumerated() {
            switch recipient.status {
            case .failed(let reason) where !recipient.reportsSent.contains(.final):
                reports.append(report(recipient, .failed, reason: reason, at: time))
                settled.append((index, .final))
            case .delivered where !recipient.reportsSent.contains(.final):
                reports.append(report(recipient, deliveredAction(recipient.target), reason: nil, at: time))
                settled.append((index, .final))
            case .deferred(let reason) where warn && !recipient.reportsSent.contains(.delay):
                var delayed = report(recipient, .delayed, reason: reason, at: time)
                delayed.willRetryUntil = settings.heldDomain(of: recipient) == nil
                    ? envelope.receivedAt + settings.retry.maximumAge.timeInterval : settings.holdExpiry(of: envelope)
                reports.append(delayed)
                settled.append((index, .delay))
            default:
                continue
            }
        }
        guard !settled.isEmpty else { return }
        if let report = dsn.report(for: envelope, recipients: reports, date: time) {
            guard await spool(report, about: envelope, body: body) else { return }
        }
        for (index, kind) in settled {
            envelope.recipients[index].reportsSent.insert(kind)
        }
    }

    /// `delivered` for a final delivery (Maildir, LMTP), `relayed` for a hand-over to another
    /// mail server that does not report itself.
    private func deliveredAction(_ target: DeliveryTarget) -> DSNAction {
        guard case .remote(let mailbox) = target else { return .delivered }
        switch settings.nextHop(for: mailbox.domain) {
        case .maildir, .lmtp, .lmtpSocket: return .delivered
        case .smtp, .none: return .relayed
        }
    }

    private func report(_ recipient: EnvelopeRecipient, _ action: DSNAction, reason: String?, at time: Date)
        -> DSNRecipientReport
    {
        let fallback = switch action {
        case .failed: "5.0.0"
        case .delayed: "4.0.0"
        case .delivered, .relayed, .expanded: "2.0.0"
        }
        // Reasons are recorded as replies, `550 5.1.1 text`: the second word is the status.
        let stated = reason.flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { DSNStatus(String($0)) }
        let status = stated.flatMap { $0.description.first == fallback.first ? $0 : nil } ?? DSNStatus(fallback)!
        return DSNRecipientReport(
            recipient: recipient, action: action, status: status,
            diagnostic: reason.map { DSNDiagnostic(text: $0) }, remoteMTA: recipient.remoteMTA, lastAttempt: time)
    }

    /// Writes `report` into the spool as a message from `<>` to the sender and announces it;
    /// false if it could not be written.
    private func spool(_ report: DSNReport, about envelope: Envelope, body: SpoolBody) async -> Bool {
        let metadata: Logger.Metadata = ["queue_id": "\(envelope.id)", "to": "\(report.recipient)"]
        let targets = reportTargets(report.recipient)
        guard !targets.isEmpty else {
            logger.warning("report dropped: nobody takes mail for the sender", metadata: metadata)
            return true
        }
        do {
            let writer = try await spool.beginMessage()
            do {
                try await writer.append(ByteBuffer(bytes: report.prefix))
                var content = report.makeReturnedContent()
                for try await chunk in body {
                    let bytes = content.take(chunk)
                    if !bytes.isEmpty { try await writer.append(ByteBuffer(bytes: bytes)) }
                    if content.isComplete { break }
                }
                try await writer.append(ByteBuffer(bytes: content.finish() + report.suffix))
                try await writer.commit(Envelope(
                    id: writer.id, sender: .null,
                    recipients: targets.map { EnvelopeRecipient(original: .mailbox(report.recipient), target: $0) },
                    parameters: report.parameters, clientName: hostname, clientAddress: "127.0.0.1",
                    protocolName: "local", receivedAt: now()))
            } catch {
                await writer.abort()
                throw error
            }
            logger.info("report queued", metadata: metadata.merging(["report_id": "\(writer.id)"]) { $1 })
            announce(writer.id)
            return true
        } catch {
            logger.error("cannot queue report", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            return false
        }
    }
}
