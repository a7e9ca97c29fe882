import Logging
package import PostgresNIO

/// The tables of the shared queue and their versions (docs/architecture.md "The queue on
/// PostgreSQL").
///
/// `tern_schema` holds one row, the version the tables have. `tern spool migrate` applies the
/// steps after it, each in its own transaction; a node starts on an empty database by
/// migrating it, refuses one that is behind (the operator migrates first, once, not every
/// node at once) and one that is newer than it knows.
package enum PostgresSchema {
    /// The version this build writes and reads.
    package static let current = steps.count

    /// The statements that take the schema from version `index` to `index + 1`.
    package static let steps: [[String]] = [
        [
            "CREATE TABLE tern_schema (version integer NOT NULL)",
            "INSERT INTO tern_schema (version) VALUES (0)",
            // A committed message: its envelope record (the same text as in a file spool) and,
            // for queries without decoding it, when it was committed and whether it is held.
            """
            CREATE TABLE tern_message (
                id text COLLATE "C" PRIMARY KEY,
                envelope bytea NOT NULL,
                size bigint NOT NULL,
                held boolean NOT NULL,
                next_attempt timestamptz,
                committed timestamptz NOT NULL DEFAULT now()
            )
            """,
            // Texts in chunks of `PostgresSpool.chunkSize` octets, the last one shorter. The
            // owner is a queue id, or `partial:` and a checkpoint record's id.
            """
            CREATE TABLE tern_text (
                owner text COLLATE "C" NOT NULL,
                seq integer NOT NULL,
                data bytea NOT NULL,
                PRIMARY KEY (owner, seq)
            )
            """,
            // Texts being received and not committed yet, by the node receiving them: a node
            // that restarts deletes its own.
            """
            CREATE TABLE tern_upload (
                owner text COLLATE "C" PRIMARY KEY,
                node text NOT NULL,
                started timestamptz NOT NULL DEFAULT now()
            )
            """,
            // Checkpointed transactions (RFC 1845): the record's text form, as in a file spool.
            """
            CREATE TABLE tern_checkpoint (
                id text COLLATE "C" PRIMARY KEY,
                record bytea NOT NULL
            )
            """,
        ],
        [
            // Leases: the node working on a message, until when, and when the message is due
            // again once its lease is given back (NULL: now) (`MessageLeases`).
            """
            ALTER TABLE tern_message ADD COLUMN lease_owner text, ADD COLUMN lease_until timestamptz,
                ADD COLUMN due timestamptz
            """,
            // What `claimDue` looks for: messages not held and due.
            "CREATE INDEX tern_message_due ON tern_message (due) WHERE NOT held",
            // The node a checkpoint record belongs to: the one that received the transfer.
            "ALTER TABLE tern_checkpoint ADD COLUMN node text",
            // Hold domains with an ETRN run or ATRN session under way, by node, until when.
            """
            CREATE TABLE tern_hold_lease (
                domain text COLLATE "C" PRIMARY KEY,
                node text NOT NULL,
                until timestamptz NOT NULL
            )
            """,
        ],
    ]

    /// The version of the tables in the database; 0 when they do not exist yet.
    static func version(_ connection: PostgresConnection, logger: Logger) async throws -> Int {
        let exists = try await connection.query(
            "SELECT to_regclass('tern_schema') IS NOT NULL", logger: logger
        ).collect().first?.decode(Bool.self) ?? false
        guard exists else { return 0 }
        let rows = try await connection.query("SELECT version FROM tern_schema", logger: logger).collect()
        return try rows.first.map { Int(try $0.decode(Int32.self)) } ?? 0
    }

    /// Creates or upgrades the tables to `current`; returns the version found before. Throws
    /// `PostgresSpoolError.schemaTooNew` for a database a newer Tern has migrated.
    ///
    /// Runs under a transaction-level advisory lock, so two nodes migrating at once take turns.
    @discardableResult
    package static func migrate(_ client: PostgresClient, logger: Logger) async throws -> Int {
        try await client.withConnection { connection in
            var found = 0
            for step in 0..<current {
                do {
                    try await connection.withTransaction(logger: logger) { connection in
                        try await connection.query("SELECT pg_advisory_xact_lock(\(migrationLock))", logger: logger)
                        let version = try await Self.version(connection, logger: logger)
                        if step == 0 { found = version }
                        guard version <= current else { throw PostgresSpoolError.schemaTooNew(version, known: current) }
                        // Applied already (by this loop, or another node migrating at the same time).
                        guard version == step else { return }
                        for statement in steps[step] {
                            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                        }
                        try await connection.query("UPDATE tern_schema SET version = \(Int32(step + 1))", logger: logger)
                        logger.notice("spool schema migrated", metadata: ["version": "\(step + 1)"])
                    }
                } catch let error as PostgresTransactionError {
                    // What went wrong inside, rather than the wrapper around it.
                    throw error.closureError ?? error
                }
            }
            return found
        }
    }

    /// At start: migrates an empty database; throws for a schema behind or ahead of this build.
    static func prepare(_ client: PostgresClient, logger: Logger) async throws {
        let found = try await client.withConnection { connection in
            try await Self.version(connection, logger: logger)
        }
        if found == 0 {
            try await migrate(client, logger: logger)
        } else if found < current {
            throw PostgresSpoolError.schemaTooOld(found, known: current)
        } else if found > current {
            throw PostgresSpoolError.schemaTooNew(found, known: current)
        }
    }

    /// The advisory lock key of migrations ("tern" in ASCII).
    private static let migrationLock: Int64 = 0x7465_726E
}
