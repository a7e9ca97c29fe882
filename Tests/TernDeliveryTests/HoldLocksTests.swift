import Foundation
import NIOConcurrencyHelpers
import Testing
@testable import TernDelivery
import TernSMTPCore
import TernSpool

/// Hold-domain locks of a node in a shared queue: taken here and in the database, and given
/// back in that order (docs/architecture.md "The queue on PostgreSQL").
@Suite struct HoldLocksTests {
    /// Domain leases in memory, one node's view; `releaseDomains` waits until `open()`.
    private final class GatedLeases: MessageLeases {
        let duration = Duration.seconds(60)
        let leased = NIOLockedValueBox<Set<String>>([])
        private let gate = NIOLockedValueBox<(open: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

        func take(_ id: QueueID) async throws -> Bool { true }
        func release(_ id: QueueID, due: Date?) async throws {}
        func claimDue(limit: Int) async throws -> [QueueID] { [] }

        func takeDomains(_ domains: Set<String>) async throws -> Bool {
            leased.withLockedValue { $0.formUnion(domains) }
            return true
        }

        func releaseDomains(_ domains: Set<String>) async throws {
            await withCheckedContinuation { continuation in
                let open = gate.withLockedValue { gate in
                    if !gate.open { gate.waiting.append(continuation) }
                    return gate.open
                }
                if open { continuation.resume() }
            }
            leased.withLockedValue { $0.subtract(domains) }
        }

        func open() {
            let waiting = gate.withLockedValue { gate in
                gate.open = true
                defer { gate.waiting = [] }
                return gate.waiting
            }
            waiting.forEach { $0.resume() }
        }
    }

    @Test func domainsStayLockedUntilTheDatabaseHasThemBack() async throws {
        let leases = GatedLeases()
        let locks = HoldLocks(leases: leases)
        #expect(await locks.lock(["node.example.net"]))
        #expect(leases.leased.withLockedValue { $0 } == ["node.example.net"])
        locks.unlock(["node.example.net"])
        // The release has not reached the database: a new run must not start on this node,
        // or the late release would drop its lease.
        try await Task.sleep(for: .milliseconds(50))
        #expect(!(await locks.lock(["node.example.net"])))
        #expect(await locks.lock(["other.example.net"]))
        leases.open()
        var unlocked = false
        for _ in 0..<100 where !unlocked {
            unlocked = await locks.lock(["node.example.net"])
            if !unlocked { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(unlocked)
        #expect(leases.leased.withLockedValue { $0 } == ["node.example.net", "other.example.net"])
    }

    @Test func withoutLeasesUnlockIsImmediate() async {
        let locks = HoldLocks()
        #expect(await locks.lock(["node.example.net"]))
        #expect(!(await locks.lock(["node.example.net", "x.example"])))
        locks.unlock(["node.example.net"])
        #expect(await locks.lock(["node.example.net", "x.example"]))
    }
}
