import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
package import PostgresNIO
package import TernMessage
package import TernSMTPCore
package import TernSpool

/// The queue in a PostgreSQL database (`[spool] backend = "postgres"`, docs/architecture.md
/// "The queue on PostgreSQL"): the same `SpoolStore` contract as `FileSpool`, where "durable"
/// means a committed transaction (synchronous commit, asked for by every connection).
///
/// A message is one row of `tern_message` (its envelope record) and the rows of its text in
/// `tern_text`, `chunkSize` octets each. A small text goes in with its envelope in one
/// statement; a larger one is written chunk by chunk while it arrives, under a `tern_upload`
/// row naming this node, and the commit's statement adds the last chunk and the envelope and
/// drops the upload row.
package final class PostgresSpool: SpoolStore {
    /// Octets per row of text, and the most a writer holds in memory.
    package static let chunkSize = 256 * 1024

    let client: PostgresClient
    /// The connections of lease statements, without synchronous commit (`PostgresSpool+Leases.swift`).
    let leaseClient: PostgresClient
    /// This node's name (`[spool] node`): the owner of its uploads and leases.
    package let node: String
    /// How long this node's leases last unless renewed (`[spool] lease`).
    package let leaseDuration: Duration
    let logger: Logger

    private init(
        client: PostgresClient, leaseClient: PostgresClient, node: String, leaseDuration: Duration, logger: Logger
    ) {
        self.client = client
        self.leaseClient = leaseClient
        self.node = node
        self.leaseDuration = leaseDuration
        self.logger = logger
    }

    /// Connects, migrates an empty database, removes what this node left unfinished when it
    /// last stopped, and runs `body` with the spool; the connections close when `body` returns.
    package static func withSpool<Result: Sendable>(
        _ configuration: PostgresClient.Configuration, node: String, lease: Duration = .seconds(300), logger: Logger,
        _ body: (PostgresSpool) async throws -> Result
    ) async throws -> Result {
        try await withClient(configuration, logger: logger) { client in
            try await withClient(configuration, synchronousCommit: false, logger: logger) { leaseClient in
                try await PostgresSchema.prepare(client, logger: logger)
                let spool = PostgresSpool(
                    client: client, leaseClient: leaseClient, node: node, leaseDuration: lease, logger: logger)
                try await spool.recover()
                return try await body(spool)
            }
        }
    }

    /// Runs `body` with a client whose connections live as long as it does. Throws
    /// `PostgresSpoolError.unreachable` at once when a first connection fails.
    ///
    /// With `synchronousCommit` (the default) a commit returns once it is on the database's
    /// disk, whatever the server's default: a 250 depends on it.
    package static func withClient<Result: Sendable>(
        _ configuration: PostgresClient.Configuration, synchronousCommit: Bool = true, logger: Logger,
        _ body: (PostgresClient) async throws -> Result
    ) async throws -> Result {
        try await checkReachable(configuration, logger: logger)
        var configuration = configuration
        configuration.options.additionalStartupParameters.append(("synchronous_commit", synchronousCommit ? "on" : "off"))
        // PostgresNIO's one background warning is a query leased before `run()` has begun,
        // which happens here by design (the queries below wait for the pool); failures reach
        // the caller as thrown errors.
        var background = logger
        background.logLevel = max(logger.logLevel, .error)
        let client = PostgresClient(configuration: configuration, backgroundLogger: background)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    /// One connection, opened and closed: the pool retries a failed connection for ever, so a
    /// wrong address, password or database name is caught here, with the server's reason.
    private static func checkReachable(_ configuration: PostgresClient.Configuration, logger: Logger) async throws {
        guard let host = configuration.host, let port = configuration.port else { return }
        let single = PostgresConnection.Configuration(
            host: host, port: port, username: configuration.username, password: configuration.password,
            database: configuration.database, tls: .disable)
        do {
            let connection = try await PostgresConnection.connect(configuration: single, id: 0, logger: logger)
            try await connection.close()
        } catch let error as PSQLError {
            let reason = error.serverInfo?[.message] ?? error.underlying.map { "\($0)" } ?? "\(error.code)"
            throw PostgresSpoolError.unreachable("\(host):\(port): \(reason)")
        }
    }

    /// Removes this node's uploads (texts it was receiving when it stopped, never acknowledged)
    /// and gives back its leases: the messages it was working on are due again, for any node,
    /// and its hold domains free for another ETRN run or ATRN session.
    private func recover() async throws {
        try await client.query(
            "UPDATE tern_message SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = \(node)", logger: logger)
        try await client.query("DELETE FROM tern_hold_lease WHERE node = \(node)", logger: logger)
        let removed = try await client.query("""
            WITH u AS (DELETE FROM tern_upload WHERE node = \(node) RETURNING owner),
                 t AS (DELETE FROM tern_text WHERE owner IN (SELECT owner FROM u)
                       AND NOT EXISTS (SELECT 1 FROM tern_message WHERE id = owner))
            SELECT count(*) FROM u
            """, logger: logger).collect().first?.decode(Int64.self) ?? 0
        if removed > 0 {
            logger.notice("unfinished uploads removed", metadata: ["count": "\(removed)", "node": "\(node)"])
        }
    }

    package func beginMessage() async throws -> any SpoolWriter {
        let id = QueueID(date: Date())
        return PostgresSpoolWriter(id: id, text: PostgresText(owner: id.description, upload: node), spool: self)
    }

    package func envelope(_ id: QueueID) async throws -> Envelope {
        let rows = try await client.query(
            "SELECT envelope FROM tern_message WHERE id = \(id.description)", logger: logger).collect()
        guard let row = rows.first else { throw SpoolError.unknownMessage(id) }
        return try Self.decode(row.decode(ByteBuffer.self))
    }

    package func update(_ envelope: Envelope) async throws {
        let rows = try await client.query("""
            UPDATE tern_message SET envelope = \(Self.record(envelope)), held = \(envelope.held),
                next_attempt = \(envelope.nextAttempt)
            WHERE id = \(envelope.id.description) RETURNING id
            """, logger: logger).collect()
        guard !rows.isEmpty else { throw SpoolError.unknownMessage(envelope.id) }
    }

    /// Asks nothing yet: the first read takes the size and the first chunk in one query (and
    /// throws `SpoolError.unknownMessage` when the message is gone), so an attempt that does not
    /// read the text costs no query for it.
    package func openBody(_ id: QueueID) async throws -> SpoolBody {
        let (client, logger) = (client, logger)
        let owner = id.description
        let size = NIOLockedValueBox<Int?>(nil)
        return SpoolBody { [self] offset in
            if offset == 0 || size.withLockedValue({ $0 }) == nil {
                let rows = try await client.query("""
                    SELECT m.size, t.data FROM tern_message m
                    LEFT JOIN tern_text t ON t.owner = m.id AND t.seq = \(Int32(offset / Self.chunkSize))
                    WHERE m.id = \(owner)
                    """, logger: logger).collect()
                guard let row = rows.first else { throw SpoolError.unknownMessage(id) }
                let (total, data) = try row.decode((Int64, ByteBuffer?).self)
                size.withLockedValue { $0 = Int(total) }
                guard offset < Int(total) else { return nil }
                guard let data else { throw PostgresSpoolError.missingText(owner: owner, chunk: offset / Self.chunkSize) }
                return try Self.slice(data, from: offset, size: Int(total), owner: owner)
            }
            return try await chunk(of: owner, at: offset, size: size.withLockedValue { $0 } ?? 0) {
                SpoolError.unknownMessage(id)
            }
        }
    }

    /// Deletes the envelope and the text in one statement.
    package func remove(_ id: QueueID) async throws {
        let removed = try await client.query("""
            WITH m AS (DELETE FROM tern_message WHERE id = \(id.description) RETURNING id),
                 t AS (DELETE FROM tern_text WHERE owner = \(id.description))
            SELECT count(*) FROM m
            """, logger: logger).collect().first?.decode(Int64.self) ?? 0
        guard removed > 0 else { throw SpoolError.unknownMessage(id) }
    }

    package func all() async throws -> [Envelope] {
        var envelopes: [Envelope] = []
        for try await record in try await client.query(
            "SELECT envelope FROM tern_message ORDER BY id", logger: logger
        ).decode(ByteBuffer.self) {
            envelopes.append(try Self.decode(record))
        }
        return envelopes
    }

    /// `Int.max`: the database server keeps its own disk; when it is full, commits fail and
    /// the client gets 451 4.3.0 for the message, as for any failed commit.
    package func freeSpace() async throws -> Int { .max }

    /// Asks the database whether it takes writes now (it is reachable and not a read-only standby).
    package func checkWritable() async throws {
        let rows = try await client.query("SELECT current_setting('transaction_read_only')", logger: logger).collect()
        if try rows.first?.decode(String.self) != "off" { throw PostgresSpoolError.unreachable("the database is read-only") }
    }

    /// The first `size` octets of the text of `owner`, a chunk per query; `missing` is thrown
    /// when the text is gone (the message was removed).
    func text(of owner: String, size: Int, missing: @escaping @Sendable () -> any Error) -> SpoolBody {
        SpoolBody { [self] offset in try await chunk(of: owner, at: offset, size: size, missing: missing) }
    }

    /// The stored octets of the text of `owner` from `offset` to the end of its chunk (at most
    /// `size`), nil at `size`.
    private func chunk(
        of owner: String, at offset: Int, size: Int, missing: @Sendable () -> any Error
    ) async throws -> ByteBuffer? {
        guard offset < size else { return nil }
        let chunk = offset / Self.chunkSize
        let rows = try await client.query(
            "SELECT data FROM tern_text WHERE owner = \(owner) AND seq = \(Int32(chunk))", logger: logger
        ).collect()
        guard let data = try rows.first?.decode(ByteBuffer.self) else {
            throw offset == 0 ? missing() : PostgresSpoolError.missingText(owner: owner, chunk: chunk)
        }
        return try Self.slice(data, from: offset, size: size, owner: owner)
    }

    /// The octets of the stored chunk `data` from text offset `offset` on, up to `size`.
    private static func slice(_ data: ByteBuffer, from offset: Int, size: Int, owner: String) throws -> ByteBuffer {
        let start = offset % chunkSize
        let length = min(data.readableBytes - start, size - offset)
        guard length > 0, let part = data.getSlice(at: data.readerIndex + start, length: length) else {
            throw PostgresSpoolError.missingText(owner: owner, chunk: offset / chunkSize)
        }
        return part
    }

    static func record(_ envelope: Envelope) -> ByteBuffer {
        ByteBuffer(bytes: EnvelopeRecord.encode(envelope))
    }

    static func record(_ record: CheckpointRecord) -> ByteBuffer {
        ByteBuffer(bytes: CheckpointRecordFormat.encode(record))
    }

    static func decode(_ record: ByteBuffer) throws -> Envelope {
        try EnvelopeRecord.decode(Array(record.readableBytesView))
    }

}

extension PostgresSpool {
    /// How to reach the queue's database.
    package typealias ClientConfiguration = PostgresClient.Configuration

    /// The settings for a server at `host`:`port` without TLS.
    package static func clientConfiguration(
        host: String, port: Int, user: String, password: String?, database: String
    ) -> ClientConfiguration {
        ClientConfiguration(host: host, port: port, username: user, password: password, database: database, tls: .disable)
    }
}
