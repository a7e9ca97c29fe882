package import NIOCore
package import TernMessage
package import TernSMTPCore

/// One message being received into the spool. Calls must not overlap: append the body in
/// order, then either `commit(_:)` or `abort()` exactly once.
package protocol SpoolWriter: Sendable {
    /// The queue id the message will have.
    var id: QueueID { get }
    /// Bytes appended so far.
    var size: Int { get }
    /// The whole text appended so far while the store still holds all of it in memory, nil
    /// otherwise: a message delivered from it before `commit(_:)` is never read back
    /// (docs/architecture.md "Local delivery at acceptance"); `abort()` then drops it.
    var textInMemory: ByteBuffer? { get }
    /// Appends the next part of the body. On failure everything written is removed.
    func append(_ bytes: ByteBuffer) async throws
    /// Stores `envelope` (its `id` and `size` are set from the writer) and makes the message
    /// durable. Only after this returns may the server answer 250; if it throws, nothing of the
    /// message is left and the server answers 451 4.3.0.
    func commit(_ envelope: Envelope) async throws
    /// Removes everything written. Never throws; a no-op after `commit(_:)`.
    func abort() async
}
