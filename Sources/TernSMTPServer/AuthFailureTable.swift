/// Failed AUTH attempts by client address and by account name since their last success, for
/// the pause after a failure (docs/behaviour.md §13): whoever guesses passwords is slowed down
/// whether they keep their address and try many names or spread one name over many addresses.
///
/// Bounded: when it holds more than `capacity` keys, the quarter least recently failed is
/// forgotten, so a flood of new addresses cannot wipe the counts of the ones still guessing.
struct AuthFailureTable {
    /// What a failure is counted under.
    enum Key: Hashable {
        case address(String)
        /// An account name as typed, ASCII lower-cased (account names match that way).
        case account(String)
    }

    private var entries: [Key: (count: Int, lastFailure: UInt64)] = [:]
    private var clock: UInt64 = 0
    private let capacity: Int

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    /// Counts one failure under each key; returns the highest count among them.
    mutating func record(_ keys: [Key]) -> Int {
        clock += 1
        var highest = 0
        for key in keys {
            let count = (entries[key]?.count ?? 0) + 1
            entries[key] = (count, clock)
            highest = max(highest, count)
        }
        if entries.count > capacity { evictOldest() }
        return highest
    }

    /// A success clears the counts of its keys.
    mutating func clear(_ keys: [Key]) {
        for key in keys { entries.removeValue(forKey: key) }
    }

    /// How many keys are counted now.
    var count: Int { entries.count }

    /// The failures counted under `key`.
    func failures(_ key: Key) -> Int { entries[key]?.count ?? 0 }

    private mutating func evictOldest() {
        let oldest = entries.sorted { $0.value.lastFailure < $1.value.lastFailure }.prefix(max(1, entries.count / 4))
        for (key, _) in oldest { entries.removeValue(forKey: key) }
    }
}
