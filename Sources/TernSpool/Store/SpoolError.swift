import TernMessage
package import TernSMTPCore

/// Spool failures that are not a failed system call (those are `FileSystemError`).
package enum SpoolError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No committed message has this id (never committed, or already removed).
    case unknownMessage(QueueID)
    /// The writer was already committed, aborted, or failed.
    case writerFinished(QueueID)

    /// A short explanation for logs.
    package var description: String {
        switch self {
        case .unknownMessage(let id): "no message \(id) in the spool"
        case .writerFinished(let id): "spool writer for \(id) is already finished"
        }
    }
}
