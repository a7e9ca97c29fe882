package import Foundation
import TernMessage
package import TernSMTPCore
import TernSpool

/// The part of a maildrop file before the message text: the envelope `tern sendmail` was
/// given (with `-t` already resolved to addresses) and who submitted the message.
///
/// ```
/// TERN-MAILDROP 1
/// arrived: 2026-11-29T08:09:25.123456Z
/// user: alice
/// uid: 1000
/// sender: <alice@mx.example.com>
/// rcpt: <bob@example.com>
/// rcpt: <Postmaster>
///
/// ```
///
/// One `key: value` per line, ended by LF; the user name is percent-escaped like envelope
/// record values. A blank line ends the header; the message text follows with CRLF line ends.
/// The file only ever appears under its final name complete (see `MaildropWriter`), so the
/// header needs no checksum.
package struct MaildropHeader: Sendable, Hashable {
    /// The first line of every header this build writes and reads.
    package static let versionLine = "TERN-MAILDROP 1"
    /// The longest header a reader accepts, blank line included.
    package static let maximumSize = 1 << 20

    /// The reverse path: `-f`, or the submitting user at the host name.
    package var sender: ReversePath
    /// The recipients, in the order given; never empty in a file the pickup accepts.
    package var recipients: [ForwardPath]
    /// The login name of the submitting user.
    package var user: String
    /// The real user id of the submitting process.
    package var uid: UInt32
    /// When `tern sendmail` was started.
    package var arrivedAt: Date

    /// Creates a header.
    package init(sender: ReversePath, recipients: [ForwardPath], user: String, uid: UInt32, arrivedAt: Date) {
        self.sender = sender
        self.recipients = recipients
        self.user = user
        self.uid = uid
        self.arrivedAt = arrivedAt
    }

    // MARK: Writing

    /// The header as written at the start of a maildrop file, blank line included.
    package func encoded() -> [UInt8] {
        var text = Self.versionLine + "\n"
        text += "arrived: \(UTCTimestamp(arrivedAt).iso8601)\n"
        text += "user: \(RecordEscaping.escape(user, .text))\n"
        text += "uid: \(uid)\n"
        text += "sender: \(sender)\n"
        for recipient in recipients {
            text += "rcpt: \(recipient)\n"
        }
        return Array((text + "\n").utf8)
    }

    // MARK: Reading

    /// Parses the header lines of a maildrop file: everything before the blank line, each line
    /// ended by LF.
    package init(decoding bytes: some BidirectionalCollection<UInt8>) throws(MaildropError) {
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        guard bytes.last == UInt8(ascii: "\n"), let first = lines.first else { throw .unterminatedHeader }
        guard first.elementsEqual(Self.versionLine.utf8) else {
            throw .unsupportedVersion(String(decoding: first, as: UTF8.self))
        }
        var fields: [String: (line: Int, value: Substring)] = [:]
        var recipients: [ForwardPath] = []
        let entries: [(line: Int, key: String, value: Substring)]
        do {
            entries = try RecordSyntax.fields(lines.dropFirst().dropLast(), firstLine: 2)
        } catch {
            throw .badField(line: error.line, key: error.key)
        }
        for (lineNumber, key, value) in entries {
            switch key {
            case "rcpt":
                guard let recipient = Self.forwardPath(value) else { throw .badField(line: lineNumber, key: key) }
                recipients.append(recipient)
            case "arrived", "user", "uid", "sender":
                guard fields.updateValue((lineNumber, value), forKey: key) == nil else {
                    throw .badField(line: lineNumber, key: key)
                }
            default:
                throw .badField(line: lineNumber, key: key)
            }
        }
        func field<Value>(_ key: String, _ parse: (Substring) -> Value?) throws(MaildropError) -> Value {
            guard let field = fields[key] else { throw .missingField(key) }
            guard let value = parse(field.value) else { throw .badField(line: field.line, key: key) }
            return value
        }
        guard !recipients.isEmpty else { throw .missingField("rcpt") }
        self.init(
            sender: try field("sender", Self.reversePath),
            recipients: recipients,
            user: try field("user", RecordEscaping.unescape),
            uid: try field("uid") { UInt32($0) },
            arrivedAt: try field("arrived") { UTCTimestamp(iso8601: String($0))?.date })
    }

    private static func reversePath(_ text: Substring) -> ReversePath? {
        RecordSyntax.reversePath(text) { try? AddressParser.mailbox($0, utf8: true) }
    }

    private static func forwardPath(_ text: Substring) -> ForwardPath? {
        RecordSyntax.forwardPath(text) { try? AddressParser.mailbox($0, utf8: true) }
    }
}
