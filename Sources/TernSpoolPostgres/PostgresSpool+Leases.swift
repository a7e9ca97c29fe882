package import Foundation
import PostgresNIO
package import TernSMTPCore
package import TernSpool

/// Leases in `tern_message.lease_owner` and `lease_until` (docs/architecture.md "The queue on
/// PostgreSQL"): the database's clock decides when a lease has run out, so the nodes' clocks
/// need not agree. Lease statements go through `leaseClient`, without synchronous commit: no
/// WAL flush waited for per lease. A lease change lost with a crash of the database only lets
/// a message be taken again early, which at worst sends a copy twice, never loses one.
extension PostgresSpool: MessageLeases {
    package var leases: (any MessageLeases)? { self }

    package var duration: Duration { leaseDuration }

    private var seconds: Double {
        Double(leaseDuration.components.seconds) + Double(leaseDuration.components.attoseconds) * 1e-18
    }

    package func take(_ id: QueueID) async throws -> Bool {
        let rows = try await leaseClient.query("""
            UPDATE tern_message m SET lease_owner = \(node), lease_until = now() + make_interval(secs => \(seconds))
            FROM (SELECT id, lease_owner FROM tern_message WHERE id = \(id.description) FOR UPDATE) previous
            WHERE m.id = previous.id
              AND (m.lease_owner IS NULL OR m.lease_owner = \(node) OR m.lease_until < now())
            RETURNING previous.lease_owner
            """, logger: logger).collect()
        guard let row = rows.first else { return false }
        let previous = try row.decode(String?.self)
        // A renewal (the lease was this node's already) takes nothing new.
        if previous != node { SpoolMetrics.leasesTaken(1, expired: previous != nil ? 1 : 0) }
        return true
    }

    package func release(_ id: QueueID, due: Date?) async throws {
        try await leaseClient.query("""
            UPDATE tern_message SET lease_owner = NULL, lease_until = NULL, due = \(due)
            WHERE id = \(id.description) AND lease_owner = \(node)
            """, logger: logger)
    }

    /// One statement: the due messages without a live lease, locked with `SKIP LOCKED` so nodes
    /// claiming at the same moment take different ones, leased to this node.
    package func claimDue(limit: Int) async throws -> [QueueID] {
        let rows = try await leaseClient.query("""
            UPDATE tern_message m SET lease_owner = \(node), lease_until = now() + make_interval(secs => \(seconds))
            FROM (
                SELECT id, lease_owner FROM tern_message
                WHERE NOT held AND (due IS NULL OR due <= now())
                  AND (lease_owner IS NULL OR lease_until < now())
                ORDER BY id LIMIT \(Int64(limit))
                FOR UPDATE SKIP LOCKED) previous
            WHERE m.id = previous.id
            RETURNING m.id, previous.lease_owner
            """, logger: logger).collect()
        let claimed = try rows.map { try $0.decode((String, String?).self) }
        SpoolMetrics.leasesTaken(claimed.count, expired: claimed.filter { $0.1 != nil && $0.1 != node }.count)
        return claimed.compactMap { QueueID($0.0) }.sorted()
    }

    /// All or none, in one transaction: the domains free, expired or already this node's are
    /// taken; when one is not, the transaction is rolled back.
    package func takeDomains(_ domains: Set<String>) async throws -> Bool {
        let names = domains.sorted()
        do {
            try await leaseClient.withTransaction(logger: logger) { connection in
                let taken = try await connection.query("""
                    INSERT INTO tern_hold_lease (domain, node, until)
                    SELECT unnest(\(names)::text[]), \(node), now() + make_interval(secs => \(seconds))
                    ON CONFLICT (domain) DO UPDATE SET node = EXCLUDED.node, until = EXCLUDED.until
                    WHERE tern_hold_lease.node = EXCLUDED.node OR tern_hold_lease.until < now()
                    RETURNING domain
                    """, logger: logger).collect()
                guard taken.count == names.count else { throw DomainsHeldElsewhere() }
            }
            return true
        } catch let error as PostgresTransactionError where error.closureError is DomainsHeldElsewhere {
            return false
        }
    }

    package func releaseDomains(_ domains: Set<String>) async throws {
        try await leaseClient.query(
            "DELETE FROM tern_hold_lease WHERE domain = ANY(\(domains.sorted())::text[]) AND node = \(node)",
            logger: logger)
    }
}

/// Rolls back a `takeDomains` that found a domain held by another node.
private struct DomainsHeldElsewhere: Error {}
