import Metrics

/// What the spool counts, through swift-metrics (docs/operations.md "Metrics and health"): the
/// time each commit takes, how many share one directory sync, and the leases of a shared queue.
/// Without a metrics factory in the process the figures go nowhere. The handles are made at
/// their first use and kept (docs/architecture.md §4).
package enum SpoolMetrics {
    /// The store a figure comes from.
    package enum Backend: String, CaseIterable, Sendable {
        case files
        case postgres
    }

    private static let commits = Dictionary(uniqueKeysWithValues: Backend.allCases.map {
        ($0, Timer(label: "tern_spool_commit_seconds", dimensions: [("backend", $0.rawValue)]))
    })
    private static let batches = Recorder(label: "tern_spool_commit_batch_size")
    private static let leases = Counter(label: "tern_spool_leases_taken_total")
    private static let expiredLeases = Counter(label: "tern_spool_leases_expired_total")

    /// Runs `commit`, the work that makes one message durable, and records how long it took.
    package static func timeCommit<T>(_ backend: Backend, _ commit: () async throws -> T) async rethrows -> T {
        let start = ContinuousClock.now
        let value = try await commit()
        let elapsed = ContinuousClock.now - start
        commits[backend]!.recordNanoseconds(
            elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        return value
    }

    /// One directory sync made `committers` commits or updates durable at once.
    package static func groupCommitted(_ committers: Int) {
        batches.record(committers)
    }

    /// This node took the leases of `count` messages; `expired` of them had been another node's,
    /// whose lease ran out.
    package static func leasesTaken(_ count: Int, expired: Int = 0) {
        guard count > 0 else { return }
        leases.increment(by: count)
        if expired > 0 { expiredLeases.increment(by: expired) }
    }
}
