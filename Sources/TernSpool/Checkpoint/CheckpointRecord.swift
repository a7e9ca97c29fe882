package import Foundation
import TernMessage
package import TernSMTPCore

/// A checkpointed transaction kept between sessions (RFC 1845, docs/behaviour.md §16): whose it is, the
/// command that carries its text, how far the stored text goes, and the queue id once it was
/// accepted.
package struct CheckpointRecord: Sendable, Hashable {
    /// The record's own name in the spool (random, never derived from the key).
    package var id: String
    package var key: CheckpointKey
    package var command: CheckpointCommand
    /// The last point made durable: the offset a resume starts from.
    package var point: ResumePoint
    /// When the record was last written; it expires `checkpoint.keep_partial` later.
    package var updated: Date
    /// The queue id of the accepted message: the transaction is complete.
    package var acceptedAs: QueueID?
    /// A commit under way with this queue id (recovery finds out whether it finished).
    var committing: QueueID?

    package init(id: String, key: CheckpointKey, command: CheckpointCommand, point: ResumePoint = .start,
                updated: Date, acceptedAs: QueueID? = nil) {
        self.id = id
        self.key = key
        self.command = command
        self.point = point
        self.updated = updated
        self.acceptedAs = acceptedAs
    }

    /// What a MAIL with this record's key resumes.
    package var resume: CheckpointResume {
        CheckpointResume(command: command, point: point, acceptedAs: acceptedAs?.description)
    }

    /// A new record id: 16 random hex digits.
    package static func newID() -> String {
        let digits = String(UInt64.random(in: .min ... .max), radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// Octets of partial text on disk (a completed record keeps none).
    package var partialSize: Int { acceptedAs == nil ? point.storedLength : 0 }
}

/// The text form of a `CheckpointRecord`: `key: value` lines after a version line, values
/// escaped as in envelope records. Written whole (renamed into place, or in one row), so no
/// checksum.
package enum CheckpointRecordFormat {
    static let version = "tern-checkpoint 1"

    /// The record as text.
    package static func encode(_ record: CheckpointRecord) -> [UInt8] {
        let lines = [
            version,
            "id: \(record.id)",
            "client: \(RecordEscaping.escape(record.key.clientName, .token))",
            "transid: \(RecordEscaping.escape(record.key.transactionID, .token))",
            "account: \(RecordEscaping.escape(record.key.account ?? "", .token))",
            "command: \(record.command.rawValue)",
            "offset: \(record.point.streamOffset)",
            "stored: \(record.point.storedLength)",
            "updated: \(Int(record.updated.timeIntervalSince1970))",
            "committing: \(record.committing?.description ?? "")",
            "accepted: \(record.acceptedAs?.description ?? "")",
        ]
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }

    /// The record, or nil when the text is not one.
    package static func decode(_ bytes: [UInt8]) -> CheckpointRecord? {
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast()
        guard let first = lines.first, String(decoding: first, as: UTF8.self) == version,
              let fields = try? RecordSyntax.fields(lines.dropFirst(), firstLine: 2) else { return nil }
        var values: [String: Substring] = [:]
        for field in fields { values[field.key] = field.value }
        func text(_ key: String) -> String? { values[key].flatMap(RecordEscaping.unescape) }
        func number(_ key: String) -> Int? { values[key].flatMap { Int($0) } }
        func queueID(_ key: String) -> QueueID?? {
            guard let value = values[key] else { return nil }
            if value.isEmpty { return .some(nil) }
            return QueueID(spoolFormat: String(value)).map { .some($0) }
        }
        guard let id = values["id"].map(String.init), !id.isEmpty, let client = text("client"),
              let transactionID = text("transid"), let account = text("account"),
              let command = values["command"].flatMap({ CheckpointCommand(rawValue: String($0)) }),
              let offset = number("offset"), let stored = number("stored"), offset >= stored, stored >= 0,
              let updated = number("updated"), let committing = queueID("committing"), let accepted = queueID("accepted")
        else { return nil }
        var record = CheckpointRecord(
            id: id, key: CheckpointKey(clientName: client, transactionID: transactionID, account: account.isEmpty ? nil : account),
            command: command, point: ResumePoint(streamOffset: offset, storedLength: stored),
            updated: Date(timeIntervalSince1970: TimeInterval(updated)), acceptedAs: accepted)
        record.committing = committing
        return record
    }
}
