import Foundation

/// One queued message as `tern queue list` shows it.
public struct QueueEntry: Codable, Hashable, Sendable {
    /// The queue id.
    public var id: String
    /// The reverse path, `<>` for the null sender.
    public var sender: String
    /// Octets of the stored message.
    public var size: Int
    /// When the message was accepted.
    public var arrival: Date
    /// Held by the operator: not delivered until released.
    public var held: Bool
    /// Delivery attempts so far.
    public var attempts: Int
    /// When the next attempt is due; nil when it is due now or nothing is left to try.
    public var nextAttempt: Date?
    /// Every recipient and its state.
    public var recipients: [QueueEntryRecipient]

    public init(
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
public struct QueueEntryRecipient: Codable, Hashable, Sendable {
    /// Where the copy is going, as an address.
    public var address: String
    /// `pending`, `deferred`, `delivered` or `failed`.
    public var status: String
    /// The last error of a deferred or failed recipient.
    public var reason: String?

    public init(address: String, status: String, reason: String?) {
        self.address = address
        self.status = status
        self.reason = reason
    }
}

/// One queued message with its header section, for `tern queue show ID`.
public struct QueueMessageDetail: Codable, Hashable, Sendable {
    /// The message as `list` shows it.
    public var entry: QueueEntry
    /// The header section of the stored message, up to the empty line.
    public var headers: String

    public init(entry: QueueEntry, headers: String) {
        self.entry = entry
        self.headers = headers
    }
}
