import Foundation
import Logging
import NIOPosix
import PostgresNIO
import TernSpool
import TernSpoolPostgres
import TernTestSupport
import Testing

/// The spool's two stores, for the behaviour tests that every `SpoolStore` must pass.
enum SpoolBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case files
    case postgres

    var testDescription: String { rawValue }

    /// Runs `body` with storage of this kind that outlives one spool: each `open` is the
    /// spool as a (re)started server sees it. Removed afterwards.
    func withStorage(_ body: (SpoolStorage) async throws -> Void) async throws {
        switch self {
        case .files:
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            try await body(.files(directory))
        case .postgres:
            let server = try TestPostgres.fromEnvironment()
            let database = "tern_test_\(UInt64.random(in: .min ... .max))"
            try await server.execute("CREATE DATABASE \(database)")
            do {
                try await body(.postgres(server.configuration(database: database)))
            } catch {
                try? await server.execute("DROP DATABASE \(database) WITH (FORCE)")
                throw error
            }
            try await server.execute("DROP DATABASE \(database) WITH (FORCE)")
        }
    }
}

/// Where a spool under test keeps its messages.
enum SpoolStorage: Sendable {
    case files(TemporaryDirectory)
    case postgres(PostgresSpool.ClientConfiguration)

    /// A spool on this storage, recovered as at a server's start, for the length of `body`;
    /// in a database, the spool of node `node` whose leases last `lease`.
    func open(
        node: String = "test-node", lease: Duration = .seconds(300),
        _ body: (any SpoolStore & CheckpointSpool) async throws -> Void
    ) async throws {
        switch self {
        case .files(let directory):
            try await body(try await makeSpool(in: directory))
        case .postgres(let configuration):
            try await PostgresSpool.withSpool(configuration, node: node, lease: lease, logger: quietLogger) {
                try await body($0)
            }
        }
    }
}

/// The private PostgreSQL server `scripts/test` starts for the tests
/// (tests/integration/peers/postgres.py), named by `TERN_TEST_POSTGRES_URL` and
/// `TERN_TEST_POSTGRES_PASSWORD_FILE`.
struct TestPostgres: Sendable {
    struct Missing: Error, CustomStringConvertible {
        var description: String {
            "no test PostgreSQL: run scripts/test, or start one with "
                + "`eval $(python3 tests/integration/peers/postgres.py start DIR)` and export "
                + "TERN_TEST_POSTGRES_URL and TERN_TEST_POSTGRES_PASSWORD_FILE"
        }
    }

    let host: String
    let port: Int
    let user: String
    let password: String

    /// The server the environment names.
    static func fromEnvironment() throws -> TestPostgres {
        let environment = ProcessInfo.processInfo.environment
        guard let url = environment["TERN_TEST_POSTGRES_URL"], let file = environment["TERN_TEST_POSTGRES_PASSWORD_FILE"],
              url.hasPrefix("postgres://"), let at = url.firstIndex(of: "@"),
              let slash = url[at...].firstIndex(of: "/"),
              let colon = url[at..<slash].lastIndex(of: ":"), let port = Int(url[url.index(after: colon)..<slash])
        else { throw Missing() }
        let password = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .newlines)
        return TestPostgres(
            host: String(url[url.index(after: at)..<colon]), port: port,
            user: String(url[url.index(url.startIndex, offsetBy: "postgres://".count)..<at]), password: password)
    }

    func configuration(database: String) -> PostgresSpool.ClientConfiguration {
        PostgresSpool.clientConfiguration(host: host, port: port, user: user, password: password, database: database)
    }

    /// Runs one statement in the server's own `postgres` database (creating and dropping
    /// the test databases).
    func execute(_ sql: String) async throws {
        try await PostgresSpool.withClient(configuration(database: "postgres"), logger: quietLogger) { client in
            _ = try await client.query(PostgresQuery(unsafeSQL: sql), logger: quietLogger)
        }
    }
}

extension SpoolStorage {
    /// Texts stored that belong to no committed message or checkpoint record: temporary
    /// files of a file spool, rows of an upload in a database. Zero when nothing is left
    /// behind.
    func strayTexts() async throws -> Int {
        switch self {
        case .files(let directory):
            return directory.files().filter { $0.hasPrefix("spool/tmp/") }.count
        case .postgres(let configuration):
            return try await PostgresSpool.withClient(configuration, logger: quietLogger) { client in
                try await client.query("""
                    SELECT count(*) FROM tern_text WHERE owner NOT IN (SELECT id FROM tern_message)
                    AND owner NOT IN (SELECT 'partial:' || id FROM tern_checkpoint)
                    """, logger: quietLogger).collect().first.map { Int(try $0.decode(Int64.self)) } ?? 0
            }
        }
    }
}
