import Logging
import NIOConcurrencyHelpers
import TernSpool

/// Hold domains with an ETRN run or a turned ATRN connection under way: one at a time per
/// domain (docs/behaviour.md §14 458, §15 451). In a queue shared by several nodes, one at a time
/// in the whole cluster: the domains' leases (`MessageLeases.takeDomains`) are taken after the
/// local lock and renewed every third of their length until unlocked.
final class HoldLocks: Sendable {
    private struct Held {
        var domains: Set<String> = []
        /// The renewal of each locked set's leases.
        var renewals: [Set<String>: Task<Void, Never>] = [:]
    }

    private let held = NIOLockedValueBox(Held())
    private let leases: (any MessageLeases)?
    private let logger: Logger

    /// Locks for one node, or for a node of a shared queue with `leases`.
    init(leases: (any MessageLeases)? = nil, logger: Logger = Logger(label: "tern.hold")) {
        self.leases = leases
        self.logger = logger
    }

    /// Locks every domain of `domains`, or none when one is already locked, here or (with
    /// leases) on another node.
    func lock(_ domains: Set<String>) async -> Bool {
        let free = held.withLockedValue { held in
            guard held.domains.isDisjoint(with: domains) else { return false }
            held.domains.formUnion(domains)
            return true
        }
        guard free else { return false }
        guard let leases else { return true }
        let taken: Bool
        do {
            taken = try await leases.takeDomains(domains)
        } catch {
            logger.error("cannot take the hold domains' leases", metadata: [
                "domains": "\(domains.sorted())", "error": "\(String(reflecting: error))",
            ])
            taken = false
        }
        guard taken else {
            held.withLockedValue { $0.domains.subtract(domains) }
            return false
        }
        let renewal = Task {
            while (try? await Task.sleep(for: leases.duration / 3)) != nil {
                _ = try? await leases.takeDomains(domains)
            }
        }
        held.withLockedValue { $0.renewals[domains] = renewal }
        return true
    }

    /// Unlocks `domains`, locked together by `lock(_:)`; their leases are given back. With
    /// leases the domains stay locked here until the database has them back: a `lock` in
    /// between would take them again as this node's, and the late release would then drop
    /// the new run's leases.
    func unlock(_ domains: Set<String>) {
        let renewal = held.withLockedValue { $0.renewals.removeValue(forKey: domains) }
        renewal?.cancel()
        guard let leases else {
            held.withLockedValue { $0.domains.subtract(domains) }
            return
        }
        let (held, logger) = (held, logger)
        Task {
            do {
                try await leases.releaseDomains(domains)
            } catch {
                logger.error("cannot give the hold domains' leases back", metadata: [
                    "domains": "\(domains.sorted())", "error": "\(String(reflecting: error))",
                ])
            }
            held.withLockedValue { $0.domains.subtract(domains) }
        }
    }
}
