import Logging
import NIOPosix
package import TernConfig
import TernSpool
import TernSpoolPostgres

extension Daemon {
    /// Opens the queue `[spool]` names for `body`: the file spool under the data folder,
    /// recovered, or the PostgreSQL queue, its schema created when the database is empty
    /// (docs/architecture.md "The queue on PostgreSQL").
    static func withSpool(
        _ configuration: TernConfiguration, threadPool: NIOThreadPool, logger: Logger,
        _ body: (any SpoolStore & CheckpointSpool) async throws -> Void
    ) async throws {
        guard configuration.spool.backend == .postgres, let location = configuration.spool.postgres else {
            let spool = FileSpool(root: configuration.dataDirectory + "/spool", threadPool: threadPool, logger: logger)
            _ = try await spool.recover()
            return try await body(spool)
        }
        let node = configuration.spool.node ?? configuration.hostname
        try await PostgresSpool.withSpool(
            location.clientConfiguration, node: node, lease: configuration.spool.lease, logger: logger
        ) { spool in
            logger.info("queue on PostgreSQL", metadata: [
                "database": "\(location.database)", "host": "\(location.host):\(location.port)", "node": "\(node)",
            ])
            try await body(spool)
        }
    }

    /// `tern spool migrate`: creates or upgrades the PostgreSQL queue's tables; returns what
    /// it did, for the operator.
    package static func migrateSpool(_ configuration: TernConfiguration) async throws -> String {
        guard configuration.spool.backend == .postgres, let location = configuration.spool.postgres else {
            return "the spool is files: nothing to migrate"
        }
        configuration.log.bootstrap()
        let logger = Logger(label: "tern")
        let found = try await PostgresSpool.withClient(location.clientConfiguration, logger: logger) { client in
            try await PostgresSchema.migrate(client, logger: logger)
        }
        let current = PostgresSchema.current
        return found == current
            ? "the queue's schema is at version \(current): nothing to do"
            : "the queue's schema migrated from version \(found) to \(current)"
    }
}

extension TernConfiguration.PostgresLocation {
    /// The connection settings of the queue's database: no TLS (a database on the same host
    /// or network), the password from `postgres_password_file`.
    var clientConfiguration: PostgresSpool.ClientConfiguration {
        PostgresSpool.clientConfiguration(host: host, port: port, user: user, password: password, database: database)
    }
}
