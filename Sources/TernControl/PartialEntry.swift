package import Foundation
import TernMessage
import TernSMTPCore
package import TernSpool

/// One checkpoint record as `tern queue list --partial` shows it (docs/behaviour.md §16).
package struct PartialEntry: Codable, Hashable, Sendable {
    /// The record's name in the spool.
    package var id: String
    /// The client name of EHLO/HELO, lower-cased.
    package var client: String
    /// The TRANSID, with its brackets.
    package var transactionID: String
    /// The authenticated account, if any.
    package var account: String?
    /// `DATA` or `BDAT`.
    package var command: String
    /// The offset a resume starts from (the 355's number).
    package var offset: Int
    /// Octets of message text kept on disk.
    package var stored: Int
    /// When the record was last written; it expires `checkpoint.keep_partial` later.
    package var updated: Date
    /// The queue id once the message was accepted.
    package var acceptedAs: String?

    package init(_ record: CheckpointRecord) {
        id = record.id
        client = record.key.clientName
        transactionID = record.key.transactionID
        account = record.key.account
        command = record.command.rawValue
        offset = record.point.streamOffset
        stored = record.partialSize
        updated = record.updated
        acceptedAs = record.acceptedAs?.description
    }
}
