package import Foundation

/// One queued message as `tern queue list` shows it.
package struct QueueEntry: Codable, Hashable, Sendable {
    /// The queue id.
    package var id: String
    /// The reverse path, `<>` for the null sender.
    package var sender: String
    /// Octets of the stored message.
    package var size: Int
    /// When the message was accepted.
    package var arrival: Date
    /// Held by the operator: not delivered until released.
    package var held: Bool
    /// Delivery attempts so far.
    package var attempts: Int
    /// When the next attempt is due; nil when it is due now or nothing is left to try.
    package var nextAttempt: Date?
    /// Every recipient and its state.
    package var recipients: [QueueEntryRecipient]

    package init(
        id: String, sender: String, size: Int, arrival: Date, held: Bool, attempts: Int, nextAttempt: Date?,
        recipients: [QueueEntryRecipient]
    ) {
        self.id = id
        self.sender = sender
        self.size = size
        self.arrival = arrival
        self.held = held
        self.attempts = attempts
        self.nextAttempt = nextAttempt
        self.recipients = recipients
    }
}

/// One recipient of a queued message.
package struct QueueEntryRecipient: Codable, Hashable, Sendable {
    /// Where the copy is going, as an address.
    package var address: String
    /// `pending`, `deferred`, `delivered` or `failed`.
    package var status: String
    /// The last error of a deferred or failed recipient.
    package var reason: String?

    package init(address: String, status: String, reason: String?) {
        self.address = address
        self.status = status
        self.reason = reason
    }
}

/// One queued message with its header section, for `tern queue show ID`.
package struct QueueMessageDetail: Codable, Hashable, Sendable {
    /// The message as `list` shows it.
    package var entry: QueueEntry
    /// The header section of the stored message, up to the empty line.
    package var headers: String

    package init(entry: QueueEntry, headers: String) {
        self.entry = entry
        self.headers = headers
    }
}
