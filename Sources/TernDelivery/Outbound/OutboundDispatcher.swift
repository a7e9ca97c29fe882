import Logging
import NIOCore
import NIOSSL
import TernSMTPCore

/// Sends jobs to their destinations within the connection limits, several messages per
/// connection when they wait for the same destination (Postfix's `qmgr` and `smtp` split).
///
/// No task of its own: a job whose destination has a free connection slot is sent by the task
/// that brought it, together with the jobs waiting for that destination; a job that finds no
/// free slot waits, and is either sent along by another task's connection or handed the slot
/// when one ends.
actor OutboundDispatcher {
    /// At most this many messages go over one connection.
    static let messagesPerConnection = 50

    private typealias Waiter = (job: OutboundJob, continuation: CheckedContinuation<Turn, Never>)

    /// What a waiting job is told when it is resumed.
    private enum Turn {
        /// Another task's connection sent it.
        case done(OutboundOutcome)
        /// It holds a connection slot now, for itself and these waiting jobs.
        case work(batch: [Waiter])
    }

    private let transport: any OutboundSending
    private let concurrency: Int
    private let perDestination: Int
    private var waiting: [Destination: [Waiter]] = [:]
    private var active: [Destination: Int] = [:]
    private var activeTotal = 0

    /// A dispatcher opening at most `concurrency` connections, `perDestination` per destination.
    init(transport: any OutboundSending, concurrency: Int, perDestination: Int) {
        precondition(concurrency > 0 && perDestination > 0, "connection limits must be positive")
        self.transport = transport
        self.concurrency = concurrency
        self.perDestination = perDestination
    }

    /// Sends `job` to `destination` and returns what became of it.
    nonisolated func deliver(_ job: OutboundJob, to destination: Destination) async -> OutboundOutcome {
        let others: [Waiter]
        switch await admit(job, to: destination) {
        case .done(let outcome): return outcome
        case .work(let batch): others = batch
        }
        let jobs = [job] + others.map(\.job)
        // Stopping: the slot is passed on at once instead of opening a connection.
        let outcomes = Task.isCancelled ? Self.deferred(jobs) : await transport.send(jobs, to: destination)
        await finish(destination, others: others, outcomes: outcomes)
        return outcomes[job.message.id]!
    }

    /// Takes a slot for `destination` now, or waits for one (or for another connection).
    private func admit(_ job: OutboundJob, to destination: Destination) async -> Turn {
        if active[destination, default: 0] < perDestination, activeTotal < concurrency {
            active[destination, default: 0] += 1
            activeTotal += 1
            return .work(batch: takeBatch(for: destination, room: Self.messagesPerConnection - 1))
        }
        return await withCheckedContinuation { continuation in
            waiting[destination, default: []].append((job, continuation))
        }
    }

    /// Resumes the jobs sent along, then hands the slot on: to the next job for the same
    /// destination, else to a job that waits only for the total limit.
    private func finish(_ destination: Destination, others: [Waiter], outcomes: [String: OutboundOutcome]) {
        for waiter in others {
            waiter.continuation.resume(returning: .done(outcomes[waiter.job.message.id]!))
        }
        if handSlot(to: destination) { return }
        active[destination, default: 1] -= 1
        if active[destination] == 0 { active[destination] = nil }
        activeTotal -= 1
        for (other, _) in waiting where active[other, default: 0] < perDestination && activeTotal < concurrency {
            active[other, default: 0] += 1
            activeTotal += 1
            _ = handSlot(to: other)
        }
    }

    /// Gives a held slot to the oldest job waiting for `destination`, with the jobs behind it;
    /// false when none waits.
    private func handSlot(to destination: Destination) -> Bool {
        guard let next = takeBatch(for: destination, room: 1).first else { return false }
        next.continuation.resume(returning: .work(batch: takeBatch(for: destination, room: Self.messagesPerConnection - 1)))
        return true
    }

    /// Every recipient of `jobs` deferred, for jobs not sent because the queue is stopping.
    private static func deferred(_ jobs: [OutboundJob]) -> [String: OutboundOutcome] {
        Dictionary(uniqueKeysWithValues: jobs.map { job in
            (job.message.id, OutboundOutcome(result: job.message.outcomeForAll(.stopping), remoteMTA: nil))
        })
    }

    /// Removes up to `room` waiting jobs for `destination`, oldest first.
    private func takeBatch(for destination: Destination, room: Int) -> [Waiter] {
        guard var queue = waiting[destination], room > 0 else { return [] }
        let batch = Array(queue.prefix(room))
        queue.removeFirst(batch.count)
        waiting[destination] = queue.isEmpty ? nil : queue
        return batch
    }
}
