import Foundation
import Logging
import TernMessage
import TernSMTPCore
import TernSpool

/// One holder at a time per message: a delivery attempt or an operator's command, so an
/// envelope is never rewritten by two at once. In a queue shared by several nodes the holder
/// also takes the message's lease (`MessageLeases`), renewed while it works, so the holder is
/// one in the whole cluster.
actor MessageLocks {
    /// What becomes of a message's lease when the work under its lock ends.
    enum LeaseEnd: Sendable {
        /// Given back; the message is due again for any node at this time (now when nil).
        case due(Date?)
        /// Kept: this node goes on with the message at once (the remote lane after the local one).
        case keep
        /// The message is gone: nothing to give back.
        case gone
    }

    private var held: Set<QueueID> = []
    private var waiters: [QueueID: [CheckedContinuation<Void, Never>]] = [:]
    /// Leases kept at the end of the last work (`LeaseEnd.keep`), and when.
    private var kept: [QueueID: ContinuousClock.Instant] = [:]
    private let leases: (any MessageLeases)?
    private let logger: Logger

    /// Locks for one node, or for a node of a shared queue with `leases`.
    init(leases: (any MessageLeases)? = nil, logger: Logger = Logger(label: "tern.locks")) {
        self.leases = leases
        self.logger = logger
    }

    /// Runs `body` while holding the lock of `id` (and its lease); then the lease ends as
    /// `end(result)` says (by default given back, the message due now). Nil, without running
    /// `body`, when another node holds the lease or it can't be taken.
    nonisolated func withLock<T: Sendable>(
        _ id: QueueID, end: @Sendable (T) -> LeaseEnd = { _ in .due(nil) }, _ body: @Sendable () async -> T
    ) async -> T? {
        await acquire(id)
        let value = await withLease(id, end: end, body)
        await release(id)
        return value
    }

    /// `body` under the lease of `id`, renewed at a third of its length so that one late
    /// renewal still keeps it.
    private nonisolated func withLease<T: Sendable>(
        _ id: QueueID, end: @Sendable (T) -> LeaseEnd, _ body: @Sendable () async -> T
    ) async -> T? {
        guard let leases else { return await body() }
        do {
            // A lease kept a moment ago still runs: no need to renew it before the work.
            let fresh = await keptSince(id).map { ContinuousClock.now - $0 < leases.duration / 3 } ?? false
            if !fresh {
                guard try await leases.take(id) else { return nil }
            }
        } catch {
            logger.error("cannot take the lease", metadata: ["queue_id": "\(id)", "error": "\(String(reflecting: error))"])
            return nil
        }
        let value = await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while (try? await Task.sleep(for: leases.duration / 3)) != nil {
                    if (try? await leases.take(id)) != true { break }
                }
            }
            let value = await body()
            group.cancelAll()
            return value
        }
        let ending = end(value)
        if case .keep = ending { await keep(id) }
        guard case .due(let due) = ending else { return value }
        do {
            try await leases.release(id, due: due)
        } catch {
            logger.error("cannot give the lease back", metadata: ["queue_id": "\(id)", "error": "\(String(reflecting: error))"])
        }
        return value
    }

    /// Notes that the lease of `id` was kept; entries older than a lease are dropped, so a
    /// message whose next work never came (another node took it, or the server stopped between
    /// the lanes) is not remembered for ever.
    private func keep(_ id: QueueID) {
        let now = ContinuousClock.now
        if let leases { kept = kept.filter { now - $0.value < leases.duration } }
        kept[id] = now
    }

    /// When the lease of `id` was last kept, if it was; forgotten by asking.
    private func keptSince(_ id: QueueID) -> ContinuousClock.Instant? {
        kept.removeValue(forKey: id)
    }

    private func acquire(_ id: QueueID) async {
        guard held.insert(id).inserted else {
            await withCheckedContinuation { waiters[id, default: []].append($0) }
            return
        }
    }

    private func release(_ id: QueueID) {
        guard var queue = waiters[id], !queue.isEmpty else {
            held.remove(id)
            return
        }
        let next = queue.removeFirst()
        waiters[id] = queue.isEmpty ? nil : queue
        next.resume()
    }
}
