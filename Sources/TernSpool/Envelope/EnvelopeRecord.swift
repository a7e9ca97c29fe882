import Foundation
package import TernMessage
import TernSMTPCore

/// The on-disk text form of an `Envelope`:
///
/// ```
/// TERN-ENVELOPE 1
/// id: 0J5XK2M3A1B2C3D4
/// received-at: 2026-11-29T08:09:25.123456Z
/// client-name: mail.example.net
/// ...
/// rcpt: <user@example.com>
/// rcpt-target: local <user@example.com>
/// rcpt-status: pending
/// END 8c736521
/// ```
///
/// One `key: value` per line; values that may hold any character are percent-escaped
/// (`RecordEscaping`). Each `rcpt:` line starts a recipient and the `rcpt-*` lines after it
/// belong to it. The last line is `END` and the CRC-32 of every byte before it, so a record
/// cut short or damaged is detected rather than half-read.
package enum EnvelopeRecord {
    /// The first line of every record this build writes and reads.
    package static let versionLine = "TERN-ENVELOPE 1"

    private static let messageKeys: Set<String> = [
        "id", "received-at", "client-name", "client-address", "protocol", "tls", "sender", "mail-size", "mail-body",
        "mail-smtputf8", "mail-ret", "mail-envid", "mail-auth", "mail-transid", "size", "attempts",
        "next-attempt", "held",
    ]
    private static let recipientKeys: Set<String> = [
        "rcpt", "rcpt-notify", "rcpt-orcpt", "rcpt-target", "rcpt-status", "rcpt-remote-mta", "rcpt-reported",
    ]
    private static let reportWords: [(ReportsSent, String)] = [(.delay, "delay"), (.final, "final")]
    private static let notifyWords: [(NotifyConditions, String)] = [
        (.success, "SUCCESS"), (.failure, "FAILURE"), (.delay, "DELAY"),
    ]

    // MARK: Writing

    /// The record for `envelope`, ready to be written to a file.
    package static func encode(_ envelope: Envelope) -> [UInt8] {
        var text = versionLine + "\n"
        func field(_ key: String, _ value: String?) {
            if let value { text += "\(key): \(value)\n" }
        }
        let parameters = envelope.parameters
        field("id", envelope.id.description)
        field("received-at", UTCTimestamp(envelope.receivedAt).iso8601)
        field("client-name", RecordEscaping.escape(envelope.clientName, .text))
        field("client-address", RecordEscaping.escape(envelope.clientAddress, .text))
        field("protocol", RecordEscaping.escape(envelope.protocolName, .text))
        field("tls", envelope.tls.map { RecordEscaping.escape($0, .text) })
        field("sender", envelope.sender.mailbox.map { "<\(encode($0))>" } ?? "<>")
        field("mail-size", parameters.size.map(String.init))
        field("mail-body", parameters.body?.rawValue)
        field("mail-smtputf8", parameters.smtpUTF8 ? "yes" : "no")
        field("mail-ret", parameters.ret?.rawValue)
        field("mail-envid", parameters.envelopeID.map { RecordEscaping.escape($0, .text) })
        field("mail-auth", parameters.auth.map { RecordEscaping.escape($0, .text) })
        field("mail-transid", parameters.transactionID.map { RecordEscaping.escape($0, .text) })
        field("size", String(envelope.size))
        field("attempts", String(envelope.attempts))
        field("next-attempt", envelope.nextAttempt.map { UTCTimestamp($0).iso8601 })
        field("held", envelope.held ? "yes" : nil)
        for recipient in envelope.recipients {
            switch recipient.original {
            case .postmaster: field("rcpt", "<Postmaster>")
            case .mailbox(let mailbox): field("rcpt", "<\(encode(mailbox))>")
            }
            field("rcpt-notify", recipient.parameters.notify.map(encode))
            field("rcpt-orcpt", recipient.parameters.originalRecipient.map {
                RecordEscaping.escape($0.addressType, .token) + ";" + RecordEscaping.escape($0.address, .text)
            })
            switch recipient.target {
            case .local(let mailbox): field("rcpt-target", "local <\(encode(mailbox))>")
            case .remote(let mailbox): field("rcpt-target", "remote <\(encode(mailbox))>")
            }
            field("rcpt-status", encode(recipient.status))
            field("rcpt-remote-mta", recipient.remoteMTA.map { RecordEscaping.escape($0, .text) })
            field("rcpt-reported", recipient.reportsSent.isEmpty ? nil : words(recipient.reportsSent, reportWords))
        }
        var bytes = Array(text.utf8)
        bytes.append(contentsOf: "END \(hex(CRC32.checksum(bytes)))\n".utf8)
        return bytes
    }

    private static func encode(_ mailbox: Mailbox) -> String {
        let domain =
            switch mailbox.domain {
            case .name(let name): RecordEscaping.escape(name, .token)
            case .addressLiteral(let literal): "[\(RecordEscaping.escape(literal, .token))]"
            }
        return RecordEscaping.escape(mailbox.localPart, .token) + "@" + domain
    }

    private static func encode(_ notify: NotifyConditions) -> String {
        notify.isEmpty ? "NEVER" : words(notify, notifyWords)
    }

    /// The words of `table` for the members of `options`, comma-separated, in table order.
    private static func words<Options: OptionSet>(_ options: Options, _ table: [(Options, String)]) -> String
    where Options.Element == Options {
        table.filter { options.contains($0.0) }.map(\.1).joined(separator: ",")
    }

    private static func encode(_ status: RecipientStatus) -> String {
        switch status {
        case .pending: "pending"
        case .delivered(let date): "delivered \(UTCTimestamp(date).iso8601)"
        case .failed(let reason): "failed \(RecordEscaping.escape(reason, .text))"
        case .deferred(let reason): "deferred \(RecordEscaping.escape(reason, .text))"
        }
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    // MARK: Reading

    /// Parses a record written by `encode(_:)`.
    package static func decode(_ bytes: [UInt8]) throws(EnvelopeRecordError) -> Envelope {
        let newline = UInt8(ascii: "\n")
        let firstLineEnd = bytes.firstIndex(of: newline) ?? bytes.endIndex
        guard bytes[..<firstLineEnd].elementsEqual(versionLine.utf8) else {
            throw .unsupportedVersion(String(decoding: bytes[..<firstLineEnd], as: UTF8.self))
        }
        guard bytes.last == newline,
            let endLineStart = bytes.dropLast().lastIndex(of: newline).map({ $0 + 1 }),
            bytes[endLineStart...].starts(with: "END ".utf8)
        else { throw .missingEnd }
        let stated = String(decoding: bytes[(endLineStart + 4)..<(bytes.count - 1)], as: UTF8.self)
        guard stated == hex(CRC32.checksum(bytes[..<endLineStart])) else { throw .checksumMismatch }

        var message = RecordFields(allowedKeys: messageKeys, recipient: nil)
        var recipients: [RecordFields] = []
        let body = bytes[(firstLineEnd + 1)..<endLineStart].split(separator: newline, omittingEmptySubsequences: false)
        let lines: [(line: Int, key: String, value: Substring)]
        do {
            lines = try RecordSyntax.fields(body.dropLast(), firstLine: 2)
        } catch {
            throw .badField(line: error.line, key: error.key)
        }
        for (lineNumber, key, value) in lines {
            if key == "rcpt" {
                recipients.append(RecordFields(allowedKeys: recipientKeys, recipient: recipients.count + 1))
            }
            if message.accepts(key) {
                try message.add(key, value, line: lineNumber)
            } else if recipients.isEmpty {
                throw .badField(line: lineNumber, key: key)
            } else {
                try recipients[recipients.count - 1].add(key, value, line: lineNumber)
            }
        }

        var parameters = MailParameters()
        parameters.size = try message.optional("mail-size", nonNegativeInteger)
        parameters.body = try message.optional("mail-body") { BodyType(rawValue: String($0)) }
        parameters.smtpUTF8 = try message.required("mail-smtputf8") { $0 == "yes" ? true : $0 == "no" ? false : nil }
        parameters.ret = try message.optional("mail-ret") { DSNReturn(rawValue: String($0)) }
        parameters.envelopeID = try message.optional("mail-envid", RecordEscaping.unescape)
        parameters.auth = try message.optional("mail-auth", RecordEscaping.unescape)
        parameters.transactionID = try message.optional("mail-transid", RecordEscaping.unescape)
        var decoded: [EnvelopeRecipient] = []
        for fields in recipients {
            decoded.append(try decodeRecipient(fields))
        }
        return Envelope(
            id: try message.required("id") { QueueID(spoolFormat: String($0)) },
            sender: try message.required("sender", reversePath),
            recipients: decoded,
            parameters: parameters,
            clientName: try message.required("client-name", RecordEscaping.unescape),
            clientAddress: try message.required("client-address", RecordEscaping.unescape),
            protocolName: try message.required("protocol", RecordEscaping.unescape),
            tls: try message.optional("tls", RecordEscaping.unescape),
            receivedAt: try message.required("received-at", date),
            size: try message.required("size", nonNegativeInteger),
            attempts: try message.required("attempts", nonNegativeInteger),
            nextAttempt: try message.optional("next-attempt", date),
            held: try message.optional("held") { $0 == "yes" ? true : nil } ?? false
        )
    }

    private static func decodeRecipient(_ fields: RecordFields) throws(EnvelopeRecordError) -> EnvelopeRecipient {
        EnvelopeRecipient(
            original: try fields.required("rcpt", forwardPath),
            parameters: RcptParameters(
                notify: try fields.optional("rcpt-notify", notify),
                originalRecipient: try fields.optional("rcpt-orcpt", originalRecipient)
            ),
            target: try fields.required("rcpt-target", target),
            status: try fields.required("rcpt-status", status),
            remoteMTA: try fields.optional("rcpt-remote-mta", RecordEscaping.unescape),
            reportsSent: try fields.optional("rcpt-reported", reports) ?? []
        )
    }

    private static func nonNegativeInteger(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            return nil
        }
        return Int(text)
    }

    private static func date(_ text: Substring) -> Date? {
        UTCTimestamp(iso8601: String(text))?.date
    }

    private static func mailbox(_ text: Substring) -> Mailbox? {
        guard let at = text.firstIndex(of: "@"), let localPart = RecordEscaping.unescape(text[..<at]) else {
            return nil
        }
        let domainText = text[text.index(after: at)...]
        let domain: Domain
        if domainText.first == "[" {
            guard domainText.count >= 2, domainText.last == "]",
                let literal = RecordEscaping.unescape(domainText.dropFirst().dropLast())
            else { return nil }
            domain = .addressLiteral(literal)
        } else {
            guard let name = RecordEscaping.unescape(domainText) else { return nil }
            domain = .name(name)
        }
        return Mailbox(localPart: localPart, domain: domain)
    }

    private static func reversePath(_ text: Substring) -> ReversePath? {
        RecordSyntax.reversePath(text, mailbox)
    }

    private static func forwardPath(_ text: Substring) -> ForwardPath? {
        RecordSyntax.forwardPath(text, mailbox)
    }

    private static func notify(_ text: Substring) -> NotifyConditions? {
        text == "NEVER" ? .never : words(text, notifyWords)
    }

    private static func reports(_ text: Substring) -> ReportsSent? {
        words(text, reportWords)
    }

    /// A comma-separated list of the words of `table`, as the set they stand for.
    private static func words<Options: OptionSet>(_ text: Substring, _ table: [(Options, String)]) -> Options?
    where Options.Element == Options {
        var options: Options = []
        for word in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let option = table.first(where: { $0.1 == word })?.0 else { return nil }
            options.insert(option)
        }
        return options
    }

    private static func originalRecipient(_ text: Substring) -> OriginalRecipient? {
        guard let separator = text.firstIndex(of: ";"),
            let addressType = RecordEscaping.unescape(text[..<separator]),
            let address = RecordEscaping.unescape(text[text.index(after: separator)...])
        else { return nil }
        return OriginalRecipient(addressType: addressType, address: address)
    }

    private static func target(_ text: Substring) -> DeliveryTarget? {
        if text.hasPrefix("local "), let inner = RecordSyntax.bracketed(text.dropFirst(6)) {
            return mailbox(inner).map(DeliveryTarget.local)
        }
        if text.hasPrefix("remote "), let inner = RecordSyntax.bracketed(text.dropFirst(7)) {
            return mailbox(inner).map(DeliveryTarget.remote)
        }
        return nil
    }

    private static func status(_ text: Substring) -> RecipientStatus? {
        if text == "pending" { return .pending }
        if text.hasPrefix("delivered ") { return date(text.dropFirst(10)).map(RecipientStatus.delivered) }
        if text.hasPrefix("failed ") { return RecordEscaping.unescape(text.dropFirst(7)).map(RecipientStatus.failed) }
        if text.hasPrefix("deferred ") {
            return RecordEscaping.unescape(text.dropFirst(9)).map(RecipientStatus.deferred)
        }
        return nil
    }
}
