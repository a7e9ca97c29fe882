package import TernMessage
package import TernSMTPCore

/// The durable queue: messages are written through a `SpoolWriter`, then read, updated and
/// removed by id until every recipient has a final status.
///
/// Implementations: `FileSpool` (one host, files) and `PostgresSpool` (TernSpoolPostgres: one
/// database, shared by several nodes through its `leases`).
///
/// SeeAlso: docs/behaviour.md §11 (what a 250 means).
package protocol SpoolStore: Sendable {
    /// Starts a new message; its body is appended through the writer, then committed or aborted.
    func beginMessage() async throws -> any SpoolWriter
    /// The committed envelope of `id`. Throws `SpoolError.unknownMessage` if there is none.
    func envelope(_ id: QueueID) async throws -> Envelope
    /// Replaces the stored envelope of `envelope.id` atomically and durably.
    func update(_ envelope: Envelope) async throws
    /// The stored body of `id`, streamed in chunks; it can be iterated more than once. Throws
    /// `SpoolError.unknownMessage` when there is no such message, here or, for a store that
    /// looks only when the body is read, at the first chunk.
    func openBody(_ id: QueueID) async throws -> SpoolBody
    /// Removes a message for good: the envelope first, then the body.
    func remove(_ id: QueueID) async throws
    /// Every committed envelope, oldest first (for the queue runner at start).
    func all() async throws -> [Envelope]
    /// Bytes available to unprivileged users on the spool's file system.
    func freeSpace() async throws -> Int
    /// Throws when a message could not be stored now (the health check, docs/operations.md
    /// "Metrics and health"): the store is asked to write something and take it back.
    func checkWritable() async throws
    /// The messages as the store keeps them in memory; nil when it keeps no census.
    var census: SpoolCensus? { get }
    /// The leases of a queue shared by several nodes; nil when this node is the only one.
    var leases: (any MessageLeases)? { get }
}

extension SpoolStore {
    /// No census: figures are read from the envelopes.
    package var census: SpoolCensus? { nil }
    /// No leases: one node works on the queue.
    package var leases: (any MessageLeases)? { nil }
}
