import Foundation
import TernMessage
import TernSMTPCore

/// Where an attempt runs: every due message goes through the local lane first, which writes
/// its local copies, and on to the remote lane only when it has recipients for other hosts.
/// Each lane has its own slots, so local delivery never waits behind mail for slow or silent
/// hosts (docs/behaviour.md §11).
enum QueueLane: Hashable, Sendable {
    case local, remote
}

/// The queue runner's bookkeeping: which messages wait for a slot in which lane, which are
/// being delivered, and which retry timers are set. A message is never worked on twice at once.
struct QueueSchedule {
    private let concurrency: [QueueLane: Int]
    private var ready: [QueueLane: [QueueID]] = [.local: [], .remote: []]
    private var queued: Set<QueueID> = []
    private var running: [QueueID: QueueLane] = [:]
    private var again: Set<QueueID> = []
    private var timers: [QueueID: Date] = [:]

    /// A schedule working on at most `concurrency` messages at once in each lane.
    init(concurrency: Int) {
        self.concurrency = [.local: concurrency, .remote: concurrency]
    }

    /// Puts `id` in line for the local lane; if it is being worked on, it goes again after.
    mutating func enqueue(_ id: QueueID) {
        if running[id] != nil {
            again.insert(id)
        } else if queued.insert(id).inserted {
            ready[.local, default: []].append(id)
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

    /// The next message to work on and its lane, if a lane with waiting messages has a free slot.
    mutating func start() -> (QueueID, QueueLane)? {
        for lane in [QueueLane.local, .remote] {
            guard let waiting = ready[lane], !waiting.isEmpty,
                  running.values.count(where: { $0 == lane }) < concurrency[lane, default: 0] else { continue }
            let id = ready[lane]!.removeFirst()
            queued.remove(id)
            running[id] = lane
            return (id, lane)
        }
        return nil
    }

    /// The local lane is done with `id`, which has recipients for other hosts due: it moves to
    /// the remote lane.
    mutating func handOff(_ id: QueueID) {
        running[id] = nil
        queued.insert(id)
        ready[.remote, default: []].append(id)
    }

    /// An attempt ended; true if `id` was submitted again meanwhile and is back in line.
    mutating func finish(_ id: QueueID) -> Bool {
        running[id] = nil
        guard again.remove(id) != nil else { return false }
        enqueue(id)
        return true
    }
}
