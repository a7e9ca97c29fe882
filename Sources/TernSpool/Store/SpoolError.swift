import TernMessage
package import TernSMTPCore

/// Spool failures that are not a failed system call (those are `FileSystemError`).
package enum SpoolError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No committed message has this id (never committed, or already removed).
    case unknownMessage(QueueID)
    /// The writer was already committed, aborted, or failed.
    case writerFinished(QueueID)
    /// A stored message whose parts can't be told apart (a one-file message without a valid
    /// trailer), named by where it is.
    case damagedMessage(String)

    /// A short explanation for logs.
    package var description: String {
        switch self {
        case .unknownMessage(let id): "no message \(id) in the spool"
        case .writerFinished(let id): "spool writer for \(id) is already finished"
        case .damagedMessage(let place): "damaged message \(place): no valid trailer"
        }
    }
}
