/// Failures of the queue on PostgreSQL that are not a failed query (those are `PSQLError`).
package enum PostgresSpoolError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The database's tables were migrated by a newer Tern than this one.
    case schemaTooNew(Int, known: Int)
    /// The database's tables are older than this build: `tern spool migrate` upgrades them.
    case schemaTooOld(Int, known: Int)
    /// The database can't be used: not reachable, the login refused, no such database.
    case unreachable(String)
    /// A stored text is missing a chunk its size promises.
    case missingText(owner: String, chunk: Int)

    /// A short explanation for logs and the operator.
    package var description: String {
        switch self {
        case .schemaTooNew(let found, let known):
            "the queue's schema is version \(found), newer than this Tern knows (\(known)): upgrade Tern"
        case .schemaTooOld(let found, let known):
            "the queue's schema is version \(found), this Tern needs \(known): run `tern spool migrate`"
        case .unreachable(let reason):
            "cannot use the queue's database: \(reason)"
        case .missingText(let owner, let chunk):
            "stored text of \(owner) has no chunk \(chunk)"
        }
    }
}
