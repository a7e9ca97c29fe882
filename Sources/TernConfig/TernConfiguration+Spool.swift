extension TernConfiguration {
    /// Where the queue lives (`[spool]`, docs/configuration.md).
    package struct Spool: Sendable, Equatable {
        /// `backend`: the file spool under the data folder, or a PostgreSQL database.
        package enum Backend: String, Sendable, CaseIterable {
            case files
            case postgres
        }

        /// `backend`, `"files"` by default.
        package var backend: Backend
        /// The database of the `postgres` backend (`postgres_url`, `postgres_password_file`).
        package var postgres: PostgresLocation?
        /// This node's name in a shared queue (`node`); nil for the host name.
        package var node: String?
        /// How long a node may work on a message before another may take it over (`lease`).
        package var lease: Duration

        /// A spool of `backend`; by default the file spool, leases of 5 minutes.
        package init(
            backend: Backend = .files, postgres: PostgresLocation? = nil, node: String? = nil,
            lease: Duration = .seconds(300)
        ) {
            self.backend = backend
            self.postgres = postgres
            self.node = node
            self.lease = lease
        }
    }

    /// A PostgreSQL database as `postgres_url` names it: `postgres://USER@HOST:PORT/DATABASE`.
    package struct PostgresLocation: Sendable, Equatable {
        package var user: String
        package var host: String
        package var port: Int
        package var database: String
        /// From `postgres_password_file`; nil for a server that asks none (or when the file is
        /// not read: `tern sendmail`).
        package var password: String?

        /// A location; the port defaults to PostgreSQL's.
        package init(user: String, host: String, port: Int = 5432, database: String, password: String? = nil) {
            self.user = user
            self.host = host
            self.port = port
            self.database = database
            self.password = password
        }
    }
}
