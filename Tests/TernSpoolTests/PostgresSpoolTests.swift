import Foundation
import NIOCore
import PostgresNIO
import Testing
import TernMessage
import TernSMTPCore
import TernSpool
import TernSpoolPostgres
import TernTestSupport

/// What only the PostgreSQL queue has: its schema's versions, one node per queue, and the
/// uploads a node cleans up when it starts again (docs/architecture.md "The queue on PostgreSQL").
@Suite struct PostgresSpoolTests {
    /// Runs `body` on a fresh database and a client of it.
    private func withDatabase(
        _ body: (SpoolStorage, PostgresClient) async throws -> Void
    ) async throws {
        try await SpoolBackend.postgres.withStorage { storage in
            guard case .postgres(let configuration) = storage else { return }
            try await PostgresSpool.withClient(configuration, logger: quietLogger) { client in
                try await body(storage, client)
            }
        }
    }

    private func schemaVersion(_ client: PostgresClient) async throws -> Int32? {
        try await client.query("SELECT version FROM tern_schema", logger: quietLogger).collect().first?.decode(Int32.self)
    }

    @Test func anEmptyDatabaseIsMigratedAtStartAndMigratingAgainDoesNothing() async throws {
        try await withDatabase { storage, client in
            #expect(try await PostgresSchema.migrate(client, logger: quietLogger) == 0, "found empty")
            #expect(try await schemaVersion(client) == Int32(PostgresSchema.current))
            #expect(try await PostgresSchema.migrate(client, logger: quietLogger) == PostgresSchema.current)
            try await storage.open { spool in
                _ = try await store(Array("x\r\n".utf8), SpoolFixtures.envelope(), in: spool)
            }
        }
    }

    @Test func aSchemaNewerThanThisBuildIsRefused() async throws {
        try await withDatabase { storage, client in
            try await PostgresSchema.migrate(client, logger: quietLogger)
            try await client.query("UPDATE tern_schema SET version = \(Int32(PostgresSchema.current + 1))", logger: quietLogger)
            let newer = PostgresSpoolError.schemaTooNew(PostgresSchema.current + 1, known: PostgresSchema.current)
            await #expect(throws: newer) { try await storage.open { _ in } }
            await #expect(throws: newer) { try await PostgresSchema.migrate(client, logger: quietLogger) }
            #expect(try await schemaVersion(client) == Int32(PostgresSchema.current + 1), "left as it was")
        }
    }

    @Test func aSecondNodeIsRefusedWhileTheFirstRuns() async throws {
        try await withDatabase { storage, _ in
            try await storage.open { _ in
                await #expect(throws: PostgresSpoolError.queueInUse) { try await storage.open { _ in } }
            }
            try await storage.open { spool in
                let all = try await spool.all()
                #expect(all.isEmpty, "the queue is free again once the first node stops")
            }
        }
    }

    @Test func aNodeRemovesOnlyItsOwnUnfinishedUploads() async throws {
        try await withDatabase { storage, client in
            try await PostgresSchema.migrate(client, logger: quietLogger)
            for (owner, node) in [("OURS", "test-node"), ("THEIRS", "other-node")] {
                try await client.query("""
                    WITH u AS (INSERT INTO tern_upload (owner, node) VALUES (\(owner), \(node)))
                    INSERT INTO tern_text (owner, seq, data) VALUES (\(owner), 0, \(ByteBuffer(string: "partial text")))
                    """, logger: quietLogger)
            }
            try await storage.open { _ in }
            let owners = try await client.query("SELECT owner FROM tern_text ORDER BY owner", logger: quietLogger)
                .collect().map { try $0.decode(String.self) }
            #expect(owners == ["THEIRS"], "another node's upload may still be arriving")
        }
    }

    @Test func aSmallMessageIsStoredByItsCommitAlone() async throws {
        try await withDatabase { storage, client in
            try await storage.open { spool in
                let writer = try await spool.beginMessage()
                try await writer.append(ByteBuffer(bytes: SpoolFixtures.body(count: 100_000)))
                let rows = try await client.query("SELECT count(*) FROM tern_text", logger: quietLogger).collect()
                #expect(try rows.first?.decode(Int64.self) == 0, "nothing written before the commit")
                try await writer.commit(SpoolFixtures.envelope())
                let stored = try await client.query(
                    "SELECT count(*), sum(octet_length(data)) FROM tern_text", logger: quietLogger
                ).collect().first?.decode((Int64, Int64).self)
                #expect(stored?.0 == 1)
                #expect(stored?.1 == 100_000)
            }
        }
    }
}
