package import Foundation
import PostgresNIO
package import TernSMTPCore
package import TernSpool

/// Leases in `tern_message.lease_owner` and `lease_until` (docs/architecture.md "The queue on
/// PostgreSQL"): the database's clock decides when a lease has run out, so the nodes' clocks
/// need not agree.
extension PostgresSpool: MessageLeases {
    package var leases: (any MessageLeases)? { self }

    package var duration: Duration { leaseDuration }

    private var seconds: Double {
        Double(leaseDuration.components.seconds) + Double(leaseDuration.components.attoseconds) * 1e-18
    }

    package func take(_ id: QueueID) async throws -> Bool {
        let rows = try await client.query("""
            UPDATE tern_message SET lease_owner = \(node), lease_until = now() + make_interval(secs => \(seconds))
            WHERE id = \(id.description)
              AND (lease_owner IS NULL OR lease_owner = \(node) OR lease_until < now())
            RETURNING id
            """, logger: logger).collect()
        return !rows.isEmpty
    }

    package func release(_ id: QueueID, due: Date?) async throws {
        try await client.query("""
            UPDATE tern_message SET lease_owner = NULL, lease_until = NULL, due = \(due)
            WHERE id = \(id.description) AND lease_owner = \(node)
            """, logger: logger)
    }

    /// One statement: the due messages without a live lease, locked with `SKIP LOCKED` so nodes
    /// claiming at the same moment take different ones, leased to this node.
    package func claimDue(limit: Int) async throws -> [QueueID] {
        let rows = try await client.query("""
            UPDATE tern_message SET lease_owner = \(node), lease_until = now() + make_interval(secs => \(seconds))
            WHERE id IN (
                SELECT id FROM tern_message
                WHERE NOT held AND (due IS NULL OR due <= now())
                  AND (lease_owner IS NULL OR lease_until < now())
                ORDER BY id LIMIT \(Int64(limit))
                FOR UPDATE SKIP LOCKED)
            RETURNING id
            """, logger: logger).collect()
        return try rows.compactMap { QueueID(try $0.decode(String.self)) }.sorted()
    }
}
