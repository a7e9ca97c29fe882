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
    private var held: Set<QueueID> = []
    private var waiters: [QueueID: [CheckedContinuation<Void, Never>]] = [:]
    private let leases: (any MessageLeases)?
    private let logger: Logger

    /// Locks for one node, or for a node of a shared queue with `leases`.
    init(leases: (any MessageLeases)? = nil, logger: Logger = Logger(label: "tern.locks")) {
        self.leases = leases
        self.logger = logger
    }

    /// Runs `body` while holding the lock of `id` (and its lease); then gives the lease back,
    /// the message due again at `due(result)`. Nil, without running `body`, when another node
    /// holds the lease or it can't be taken.
    nonisolated func withLock<T: Sendable>(
        _ id: QueueID, due: @Sendable (T) -> Date? = { _ in nil }, _ body: @Sendable () async -> T
    ) async -> T? {
        await acquire(id)
        let value = await withLease(id, due: due, body)
        await release(id)
        return value
    }

    /// `body` under the lease of `id`, renewed at a third of its length so that one late
    /// renewal still keeps it.
    private nonisolated func withLease<T: Sendable>(
        _ id: QueueID, due: @Sendable (T) -> Date?, _ body: @Sendable () async -> T
    ) async -> T? {
        guard let leases else { return await body() }
        do {
            guard try await leases.take(id) else { return nil }
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
        do {
            try await leases.release(id, due: due(value))
        } catch {
            logger.error("cannot give the lease back", metadata: ["queue_id": "\(id)", "error": "\(String(reflecting: error))"])
        }
        return value
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
