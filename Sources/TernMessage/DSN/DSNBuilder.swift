package import Foundation
import TernSMTPCore

/// Builds delivery status notifications: `multipart/report; report-type=delivery-status`
/// messages from `MAILER-DAEMON@<host>` to a message's sender (RFC 3464, RFC 3461, RFC 6522,
/// docs/behaviour.md §9).
///
/// A report has three parts: a text for people naming each recipient and the reason, the
/// `message/delivery-status` fields for programs, and the original message's header section
/// (`text/rfc822-headers`, for `RET=HDRS` or no RET) or the whole message (`message/rfc822`,
/// for `RET=FULL`). For SMTPUTF8 mail the third part is `message/global-headers` or
/// `message/global` (RFC 6533 §6.3, RFC 6532 §3.7), as its header fields may hold UTF-8.
/// Non-ASCII addresses in the delivery-status fields use the `utf-8` address type (RFC 6533
/// §3). `Final-Recipient:` names the mailbox delivery went to (after forwarding);
/// `Original-Recipient:` appears only when the recipient came with `ORCPT=`, and
/// `Original-Envelope-Id:` only with `ENVID=`, xtext-encoded. The extension field
/// `X-Tern-Queue-ID:` names the original message's queue id for the postmaster.
///
/// Building is pure: the caller passes the time, and the boundary and `Message-ID:` come from
/// a token source that tests replace.
package struct DSNBuilder: Sendable {
    /// This server's host name: the report's `Reporting-MTA:` and the domain of its sender.
    package let reportingHost: String
    private let makeToken: @Sendable () -> String

    /// A builder for reports from `reportingHost`, with random boundaries and message ids.
    package init(reportingHost: String) {
        self.init(reportingHost: reportingHost, makeToken: { DSNBuilder.randomToken() })
    }

    /// A builder whose boundaries and message ids are made from `makeToken`, which must return
    /// a non-empty string of ASCII letters and digits, unique for each call.
    package init(reportingHost: String, makeToken: @escaping @Sendable () -> String) {
        self.reportingHost = reportingHost
        self.makeToken = makeToken
    }

    /// The recipients of `reports` that asked to hear about their outcome (see
    /// `DSNRecipientReport.isRequested`); none when `envelope` has the null sender `<>`,
    /// which never gets a report.
    package static func reportedRecipients(_ reports: [DSNRecipientReport], for envelope: Envelope) -> [DSNRecipientReport] {
        guard envelope.sender.mailbox != nil else { return [] }
        return reports.filter(\.isRequested)
    }

    /// The report on `reports` for the message of `envelope`, dated `date`; nil when nobody is
    /// to be told: the sender is `<>`, or no recipient's `NOTIFY=` asks for its report.
    ///
    /// Recipients are reported in the order given, those that did not ask for a report left out.
    package func report(for envelope: Envelope, recipients reports: [DSNRecipientReport], date: Date) -> DSNReport? {
        guard let sender = envelope.sender.mailbox else { return nil }
        let reported = Self.reportedRecipients(reports, for: envelope)
        guard !reported.isEmpty else { return nil }

        let host = DSNFieldText.asciiSafe(reportingHost)
        let boundary = "=_Tern_\(token())"
        let messageID = "<dsn.\(envelope.id).\(token())@\(host)>"
        let returned = envelope.parameters.ret ?? .headers
        let originalIs8Bit = envelope.parameters.smtpUTF8 || envelope.parameters.body == .eightBitMIME
        let text = humanReadableText(envelope, reported, returned: returned, host: host)
        let textIs8Bit = text.utf8.contains { $0 >= 0x80 }

        var prefix = ""
        prefix += field("From", "Mail Delivery System <MAILER-DAEMON@\(host)>")
        prefix += field("To", DSNFieldText.lineSafe(envelope.sender.description))
        prefix += field("Subject", Self.subject(reported))
        prefix += field("Date", UTCTimestamp(date).rfc5322)
        prefix += field("Message-ID", messageID)
        prefix += field("Auto-Submitted", "auto-replied")
        prefix += field("MIME-Version", "1.0")
        prefix += field("Content-Type", "multipart/report; report-type=delivery-status; boundary=\"\(boundary)\"")
        if textIs8Bit || originalIs8Bit { prefix += field("Content-Transfer-Encoding", "8bit") }
        prefix += "\r\nThis is a MIME-encapsulated message.\r\n"

        prefix += "\r\n--\(boundary)\r\n"
        prefix += field("Content-Description", "Notification")
        prefix += field("Content-Type", "text/plain; charset=\(textIs8Bit ? "utf-8" : "us-ascii")")
        if textIs8Bit { prefix += field("Content-Transfer-Encoding", "8bit") }
        prefix += "\r\n" + text

        prefix += "\r\n--\(boundary)\r\n"
        prefix += field("Content-Description", "Delivery report")
        prefix += field("Content-Type", "message/delivery-status")
        prefix += "\r\n" + deliveryStatus(envelope, reported, host: host)

        prefix += "\r\n--\(boundary)\r\n"
        switch (returned, envelope.parameters.smtpUTF8) {
        case (.headers, false): prefix += field("Content-Type", "text/rfc822-headers")
        case (.headers, true): prefix += field("Content-Type", "message/global-headers")
        case (.full, false): prefix += field("Content-Type", "message/rfc822")
        case (.full, true): prefix += field("Content-Type", "message/global")
        }
        prefix += field("Content-Description", returned == .full ? "Original message" : "Original message header")
        if originalIs8Bit { prefix += field("Content-Transfer-Encoding", "8bit") }
        prefix += "\r\n"

        let parameters = MailParameters(
            body: textIs8Bit || originalIs8Bit ? .eightBitMIME : nil, smtpUTF8: sender.isInternationalized)
        return DSNReport(
            recipient: sender, parameters: parameters, messageID: messageID, returned: returned,
            prefix: Array(prefix.utf8), suffix: Array("\r\n--\(boundary)--\r\n".utf8))
    }

    // MARK: Parts

    /// The per-message fields, then one group of per-recipient fields for each recipient, each
    /// group after an empty line (RFC 3464 §2.2, §2.3).
    private func deliveryStatus(_ envelope: Envelope, _ reported: [DSNRecipientReport], host: String) -> String {
        var text = ""
        if let envelopeID = envelope.parameters.envelopeID {
            text += field("Original-Envelope-Id", DSNFieldText.xtext(envelopeID))
        }
        text += field("Reporting-MTA", "dns; \(host)")
        text += field("Arrival-Date", UTCTimestamp(envelope.receivedAt).rfc5322)
        text += field("X-Tern-Queue-ID", envelope.id.description)
        for report in reported {
            text += "\r\n"
            if let original = report.recipient.parameters.originalRecipient {
                text += field("Original-Recipient", DSNFieldText.originalRecipient(original))
            }
            text += field("Final-Recipient", DSNFieldText.address(report.recipient.target.mailbox))
            text += field("Action", report.action.rawValue)
            text += field("Status", report.status.description)
            if let remoteMTA = report.remoteMTA {
                text += field("Remote-MTA", "dns; \(DSNFieldText.asciiSafe(remoteMTA))")
            }
            if let diagnostic = report.diagnostic {
                let type = DSNFieldText.asciiSafe(diagnostic.type)
                text += field("Diagnostic-Code", "\(type); \(DSNFieldText.asciiSafe(diagnostic.text))")
            }
            if let lastAttempt = report.lastAttempt {
                text += field("Last-Attempt-Date", UTCTimestamp(lastAttempt).rfc5322)
            }
            if report.action == .delayed, let willRetryUntil = report.willRetryUntil {
                text += field("Will-Retry-Until", UTCTimestamp(willRetryUntil).rfc5322)
            }
        }
        return text
    }

    /// The text for people: what happened, then each recipient with its outcome and reason.
    private func humanReadableText(
        _ envelope: Envelope, _ reported: [DSNRecipientReport], returned: DSNReturn, host: String
    ) -> String {
        let actions = Set(reported.map(\.action))
        var paragraphs = ["This is the mail system at host \(host)."]
        if actions.contains(.failed) {
            let attached = returned == .full ? "The message is attached." : "Its header section is attached."
            paragraphs.append(
                "Your message could not be delivered to one or more of its recipients, listed below with the"
                    + " reason. \(attached)")
        }
        if actions.contains(.delayed) {
            paragraphs.append(
                "Your message has not been delivered yet to one or more of its recipients, listed below."
                    + " Delivery is still being tried; you do not need to send the message again.")
        }
        if !actions.isDisjoint(with: [.delivered, .relayed, .expanded]) {
            paragraphs.append("As you asked, here is the outcome of delivery to the recipients listed below.")
        }
        var about = "The message from \(envelope.sender) was received"
            + " \(UTCTimestamp(envelope.receivedAt).rfc5322) with queue id \(envelope.id)"
        if let envelopeID = envelope.parameters.envelopeID {
            about += " and envelope id \(DSNFieldText.xtext(envelopeID))"
        }
        paragraphs.append(about + ".")

        var lines = paragraphs.flatMap { DSNLineFolder.fold(DSNFieldText.lineSafe($0), width: 76, continuation: "") + [""] }
        for report in reported {
            lines += DSNLineFolder.fold(
                DSNFieldText.lineSafe("\(Self.describe(report.recipient)): \(Self.outcome(report))"),
                width: 76, continuation: "    ")
            if let diagnostic = report.diagnostic {
                let speaker = report.remoteMTA.map { "\($0) said" } ?? "Reason"
                lines += DSNLineFolder.fold(
                    DSNFieldText.lineSafe("    \(speaker): \(diagnostic.text)"), width: 76, continuation: "    ")
            }
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    // MARK: Wording

    private static func subject(_ reported: [DSNRecipientReport]) -> String {
        let failed = reported.contains { $0.action == .failed }
        let delayed = reported.contains { $0.action == .delayed }
        let succeeded = reported.contains { $0.action.notifyCondition == .success }
        switch (failed, delayed, succeeded) {
        case (true, false, false): return "Undelivered Mail Returned to Sender"
        case (false, true, false): return "Delayed Mail (still being retried)"
        case (false, false, true): return "Successful Mail Delivery Report"
        default:
            let kinds = [(failed, "failure"), (delayed, "delay"), (succeeded, "success")].filter(\.0).map(\.1)
            return "Delivery Status Notification (\(kinds.joined(separator: ", ")))"
        }
    }

    /// The address given at RCPT, and where it led when forwarding changed it.
    private static func describe(_ recipient: EnvelopeRecipient) -> String {
        let target = recipient.target.mailbox
        switch recipient.original {
        case .mailbox(let original) where original.description.lowercased() != target.description.lowercased():
            return "<\(original)> (forwarded to <\(target)>)"
        case .postmaster, .mailbox:
            return recipient.original.description
        }
    }

    private static func outcome(_ report: DSNRecipientReport) -> String {
        let status = report.status.description
        switch report.action {
        case .failed: return "delivery failed permanently (\(status))"
        case .delayed:
            let until = report.willRetryUntil.map { " until \(UTCTimestamp($0).rfc5322)" } ?? ""
            return "delivery delayed, still trying\(until) (\(status))"
        case .delivered: return "delivered (\(status))"
        case .relayed: return "relayed to a system that sends no delivery reports (\(status))"
        case .expanded: return "delivered and passed on to further addresses (\(status))"
        }
    }

    // MARK: Helpers

    /// A header field, folded, with its CRLF.
    private func field(_ name: String, _ value: String) -> String {
        DSNLineFolder.fold("\(name): \(value)").joined(separator: "\r\n") + "\r\n"
    }

    private func token() -> String {
        let token = makeToken()
        precondition(
            !token.isEmpty && token.unicodeScalars.allSatisfy { $0.isASCII && $0.properties.isAlphabetic || ("0"..."9").contains($0) },
            "a DSN token must be ASCII letters and digits")
        return token
    }

    /// 128 random bits as 32 hex digits.
    private static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let digits = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }.joined()
    }
}
