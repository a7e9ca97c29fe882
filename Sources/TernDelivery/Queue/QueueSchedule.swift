import Foundation
import TernSpool

/// The queue runner's bookkeeping: which messages wait for a delivery slot, which are being
/// delivered, and which retry timers are set. A message is never delivered twice at once.
struct QueueSchedule {
    private let concurrency: Int
    private var ready: [QueueID] = []
    private var queued: Set<QueueID> = []
    private var running: Set<QueueID> = []
    private var again: Set<QueueID> = []
    private var timers: [QueueID: Date] = [:]

    /// A schedule delivering at most `concurrency` messages at once.
    init(concurrency: Int) {
        self.concurrency = concurrency
    }

    /// Puts `id` in line for a delivery slot; if it is being delivered, it goes again after.
    mutating func enqueue(_ id: QueueID) {
        if running.contains(id) {
            again.insert(id)
        } else if queued.insert(id).inserted {
            ready.append(id)
        }
    }

    /// Whether a timer for `date` should be set: false when an earlier or equal one is set.
    mutating func setTimer(_ id: QueueID, at date: Date) -> Bool {
        if let set = timers[id], set <= date { return false }
        timers[id] = date
        return true
    }

    /// A timer fired; true if it is still the current one for `id`.
    mutating func timerFired(_ id: QueueID, at date: Date) -> Bool {
        guard timers[id] == date else { return false }
        timers[id] = nil
        return true
    }

    /// The next message to deliver, if a slot is free.
    mutating func start() -> QueueID? {
        guard running.count < concurrency, !ready.isEmpty else { return nil }
        let id = ready.removeFirst()
        queued.remove(id)
        running.insert(id)
        return id
    }

    /// An attempt ended; true if `id` was submitted again meanwhile and is back in line.
    mutating func finish(_ id: QueueID) -> Bool {
        running.remove(id)
        guard again.remove(id) != nil else { return false }
        enqueue(id)
        return true
    }
}
