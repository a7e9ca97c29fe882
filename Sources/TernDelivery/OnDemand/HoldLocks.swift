import NIOConcurrencyHelpers

/// Hold domains with an ETRN run or a turned ATRN connection under way: one at a time per
/// domain (docs/behaviour.md §14 458, §15 451).
final class HoldLocks: Sendable {
    private let busy = NIOLockedValueBox<Set<String>>([])

    /// Locks every domain of `domains`, or none when one is already locked.
    func lock(_ domains: Set<String>) -> Bool {
        busy.withLockedValue { busy in
            guard busy.isDisjoint(with: domains) else { return false }
            busy.formUnion(domains)
            return true
        }
    }

    func unlock(_ domains: Set<String>) {
        busy.withLockedValue { $0.subtract(domains) }
    }
}
