import Foundation
import NIOCore
import PostgresNIO
import Testing
import TernMessage
import TernSMTPCore
import TernSpool
import TernSpoolPostgres
import TernTestSupport

/// What only the PostgreSQL queue has: its schema's versions, leases shared by nodes, and the
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

    @Test func anOlderSchemaIsRefusedUntilMigratedAndKeepsItsMessages() async throws {
        try await withDatabase { storage, client in
            // The first version, with a message in it, as a node of that version left it.
            for statement in PostgresSchema.steps[0] {
                try await client.query(PostgresQuery(unsafeSQL: statement), logger: quietLogger)
            }
            try await client.query("UPDATE tern_schema SET version = 1", logger: quietLogger)
            var envelope = SpoolFixtures.envelope()
            envelope.id = QueueID(date: Date())
            envelope.size = 3
            try await client.query("""
                WITH t AS (INSERT INTO tern_text (owner, seq, data) VALUES (\(envelope.id.description), 0, \(ByteBuffer(string: "x\r\n"))))
                INSERT INTO tern_message (id, envelope, size, held)
                VALUES (\(envelope.id.description), \(ByteBuffer(bytes: EnvelopeRecord.encode(envelope))), 3, false)
                """, logger: quietLogger)
            let older = PostgresSpoolError.schemaTooOld(1, known: PostgresSchema.current)
            await #expect(throws: older) { try await storage.open { _ in } }
            #expect(try await PostgresSchema.migrate(client, logger: quietLogger) == 1)
            #expect(try await schemaVersion(client) == Int32(PostgresSchema.current))
            try await storage.open { spool in
                let all = try await spool.all()
                #expect(all == [envelope])
                #expect(try await contents(of: spool.openBody(envelope.id)) == Array("x\r\n".utf8))
                #expect(try await spool.leases?.claimDue(limit: 10) == [envelope.id], "due, with the new columns")
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

    @Test func twoNodesShareTheQueueByLeases() async throws {
        try await withDatabase { storage, _ in
            try await storage.open(node: "node-a") { a in
                try await storage.open(node: "node-b") { b in
                    let (leasesA, leasesB) = (try #require(a.leases), try #require(b.leases))
                    let id = try await store(Array("x\r\n".utf8), SpoolFixtures.envelope(), in: a)
                    #expect(try await b.all().map(\.id) == [id], "one queue")
                    #expect(try await leasesB.claimDue(limit: 10) == [id], "a new message is due for any node")
                    #expect(try await leasesA.claimDue(limit: 10).isEmpty, "claimed once")
                    #expect(try await leasesA.take(id) == false, "held by node-b")
                    #expect(try await leasesB.take(id), "renewed by its holder")
                    try await leasesB.release(id, due: Date() + 3_600)
                    #expect(try await leasesA.claimDue(limit: 10).isEmpty, "not due for an hour")
                    #expect(try await leasesA.take(id), "free to take")
                    try await leasesA.release(id, due: nil)
                    #expect(try await leasesB.claimDue(limit: 10) == [id], "due again at once")
                }
            }
        }
    }

    @Test func aLeaseThatRunsOutLetsAnotherNodeTakeTheMessage() async throws {
        try await withDatabase { storage, _ in
            try await storage.open(node: "node-a", lease: .milliseconds(500)) { a in
                try await storage.open(node: "node-b") { b in
                    let (leasesA, leasesB) = (try #require(a.leases), try #require(b.leases))
                    let id = try await store(Array("x\r\n".utf8), SpoolFixtures.envelope(), in: a)
                    #expect(try await leasesA.take(id))
                    #expect(try await leasesB.claimDue(limit: 10).isEmpty)
                    try await Task.sleep(for: .milliseconds(700))
                    #expect(try await leasesB.claimDue(limit: 10) == [id], "node-a stopped renewing")
                }
            }
        }
    }

    @Test func holdDomainsAreLeasedAllOrNone() async throws {
        try await withDatabase { storage, _ in
            try await storage.open(node: "node-a") { a in
                try await storage.open(node: "node-b") { b in
                    let (leasesA, leasesB) = (try #require(a.leases), try #require(b.leases))
                    #expect(try await leasesA.takeDomains(["x.example", "y.example"]))
                    #expect(try await leasesA.takeDomains(["x.example", "y.example"]), "renewed by its holder")
                    #expect(try await leasesB.takeDomains(["y.example", "z.example"]) == false, "y is node-a's")
                    #expect(try await leasesA.takeDomains(["z.example"]), "node-b's failed attempt took nothing")
                    try await leasesA.releaseDomains(["x.example", "y.example"])
                    #expect(try await leasesB.takeDomains(["x.example", "y.example"]))
                }
            }
        }
    }

    @Test func aRestartedNodeGivesItsLeasesBack() async throws {
        try await withDatabase { storage, _ in
            var id: QueueID?
            try await storage.open(node: "node-a") { a in
                id = try await store(Array("x\r\n".utf8), SpoolFixtures.envelope(), in: a)
                #expect(try await a.leases?.claimDue(limit: 10) == id.map { [$0] })
            }
            try await storage.open(node: "node-b") { b in
                let claimed = try await b.leases?.claimDue(limit: 10)
                #expect(claimed?.isEmpty == true, "node-a's lease still runs")
            }
            try await storage.open(node: "node-a") { a in
                let claimed = try await a.leases?.claimDue(limit: 10)
                #expect(claimed == id.map { [$0] }, "given back when node-a started again, and claimed")
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
