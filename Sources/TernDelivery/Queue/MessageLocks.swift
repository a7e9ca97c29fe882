import TernMessage
import TernSMTPCore

/// One holder at a time per message: a delivery attempt or an operator's command, so an
/// envelope is never rewritten by two at once.
actor MessageLocks {
    private var held: Set<QueueID> = []
    private var waiters: [QueueID: [CheckedContinuation<Void, Never>]] = [:]

    /// Runs `body` while holding the lock of `id`.
    nonisolated func withLock<T: Sendable>(_ id: QueueID, _ body: @Sendable () async -> T) async -> T {
        await acquire(id)
        let value = await body()
        await release(id)
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
