import Metrics

/// What the spool counts, through swift-metrics (docs/operations.md "Metrics and health"): the
/// time each commit takes, how many share one directory sync, and the leases of a shared queue.
/// Without a metrics factory in the process the figures go nowhere.
package enum SpoolMetrics {
    /// The store a figure comes from.
    package enum Backend: String, Sendable {
        case files
        case postgres
    }

    /// Runs `commit`, the work that makes one message durable, and records how long it took.
    package static func timeCommit<T>(_ backend: Backend, _ commit: () async throws -> T) async rethrows -> T {
        let start = ContinuousClock.now
        let value = try await commit()
        let elapsed = ContinuousClock.now - start
        Timer(label: "tern_spool_commit_seconds", dimensions: [("backend", backend.rawValue)])
            .recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        return value
    }

    /// One directory sync made `committers` commits or updates durable at once.
    package static func groupCommitted(_ committers: Int) {
        Recorder(label: "tern_spool_commit_batch_size").record(committers)
    }

    /// This node took the leases of `count` messages; `expired` of them had been another node's,
    /// whose lease ran out.
    package static func leasesTaken(_ count: Int, expired: Int = 0) {
        guard count > 0 else { return }
        Counter(label: "tern_spool_leases_taken_total").increment(by: count)
        if expired > 0 { Counter(label: "tern_spool_leases_expired_total").increment(by: expired) }
    }
}
