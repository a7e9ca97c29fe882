package import Foundation
package import TernSMTPCore

/// The leases of a queue that several nodes work on (docs/architecture.md "The queue on
/// PostgreSQL"): a node takes a message's lease before it delivers or changes the message, renews
/// it while it works and gives it back after; a lease that runs out, because its node died,
/// lets any node take the message.
package protocol MessageLeases: Sendable {
    /// How long a lease lasts unless renewed (`[spool] lease`).
    var duration: Duration { get }
    /// Takes (or renews) the lease of `id` for this node: false when another node's lease on it
    /// has not run out, or the message is gone.
    func take(_ id: QueueID) async throws -> Bool
    /// Gives this node's lease of `id` back; the message is due again for any node at `due`
    /// (now when nil).
    func release(_ id: QueueID, due: Date?) async throws
    /// Takes the leases of up to `limit` messages due now that no node holds (committed by any
    /// node, due again since a lease was given back, or left by a node whose lease ran out),
    /// oldest first; their ids.
    func claimDue(limit: Int) async throws -> [QueueID]
    /// Takes (or renews) the leases of every hold domain of `domains` for an ETRN run or ATRN
    /// session of this node, or of none: false when another node holds one of them.
    func takeDomains(_ domains: Set<String>) async throws -> Bool
    /// Gives this node's leases of `domains` back.
    func releaseDomains(_ domains: Set<String>) async throws
}
