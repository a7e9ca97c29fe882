import TernMessage
package import TernSMTPCore

/// What `tern queue` asks of the running queue, through the daemon's control socket.
///
/// Every id names a message in the spool; an id that names none throws
/// `QueueControlError.unknownMessage`.
package protocol QueueControl: Sendable {
    /// Every queued message, oldest first (`tern queue list`).
    func list() async throws -> [QueueEntry]
    /// One message with its header section (`tern queue show ID`).
    func show(_ id: QueueID) async throws -> QueueMessageDetail
    /// Schedules every message that is not held for an attempt now; with a domain, only those
    /// with a recipient in it. Returns how many were scheduled (`tern queue flush [DOMAIN]`).
    func flush(domain: String?) async throws -> Int
    /// Keeps a message from delivery until it is released (`tern queue hold ID`).
    func hold(_ id: QueueID) async throws
    /// Lets a held message go again, at once (`tern queue release ID`).
    func release(_ id: QueueID) async throws
    /// Removes a message without a report to its sender (`tern queue delete ID`).
    func delete(_ id: QueueID) async throws
    /// Fails every undelivered recipient of a message and sends the sender a failure report, as
    /// if it had expired (`tern queue bounce ID`).
    func bounce(_ id: QueueID) async throws
}

/// Why a queue control request could not be carried out.
package enum QueueControlError: Error, Hashable, Sendable {
    /// No message with this id is in the queue.
    case unknownMessage(QueueID)
    /// Another node of a shared queue is working on the message: try again.
    case busy(QueueID)
}
