import NIOConcurrencyHelpers
package import NIOCore
public import TernSMTPCore

/// Counts open connections across all listeners, enforces the server-wide and per-client
/// limits, and reaches every open connection at shutdown (docs/behaviour.md §1, §10).
public final class ConnectionTracker: Sendable {
    /// Whether a new connection may proceed.
    public enum Admission: Sendable, Equatable {
        case admitted(UInt64)
        case serverFull
        case clientFull
    }

    private struct State {
        var nextID: UInt64 = 1
        var open: [UInt64: (channel: any Channel, address: String)] = [:]
        var perClient: [String: Int] = [:]
        var authFailures = AuthFailureTable()
        var shuttingDown = false
        var stressed = false
    }

    private let maximum: Int
    private let maximumPerClient: Int
    private let isExempt: @Sendable (String) -> Bool
    private let stressChanged: @Sendable (_ stressed: Bool, _ open: Int) -> Void
    private let state = NIOLockedValueBox(State())

    /// A tracker with docs/behaviour.md §0.2's limits unless told otherwise.
    ///
    /// - Parameters:
    ///   - maximum: connections at once, all listeners together.
    ///   - maximumPerClient: connections at once from one address not exempt.
    ///   - isExempt: addresses, as text, not counted per client (by default loopback ones).
    ///   - stressChanged: told once when stress begins (80 % of `maximum` in use) and once when
    ///     it ends (below 70 %), with the connections open then (docs/behaviour.md §0.2).
    public init(
        maximum: Int = 10_000, maximumPerClient: Int = 50,
        isExempt: @escaping @Sendable (String) -> Bool = { IPAddress($0)?.isLoopback ?? false },
        stressChanged: @escaping @Sendable (_ stressed: Bool, _ open: Int) -> Void = { _, _ in }
    ) {
        self.maximum = maximum
        self.maximumPerClient = maximumPerClient
        self.isExempt = isExempt
        self.stressChanged = stressChanged
    }

    /// Open sessions now.
    public var count: Int { state.withLockedValue { $0.open.count } }

    /// Whether the server is under stress: every wait then uses the stress idle timeout.
    public var isStressed: Bool { state.withLockedValue { $0.stressed } }

    /// Enters stress at 80 % of the maximum in use, leaves it below 70 %; returns the channels
    /// to tell, or nil when nothing changed. Called with the lock held.
    private func updateStress(_ state: inout State) -> [any Channel]? {
        let open = state.open.count
        let stressed = state.stressed ? open * 10 >= maximum * 7 : open * 10 >= maximum * 8
        guard stressed != state.stressed else { return nil }
        state.stressed = stressed
        return state.open.values.map(\.channel)
    }

    private func announce(_ channels: [any Channel]?) {
        guard let channels else { return }
        let (stressed, open) = state.withLockedValue { ($0.stressed, $0.open.count) }
        stressChanged(stressed, open)
        for channel in channels {
            channel.pipeline.fireUserInboundEventTriggered(StressChanged())
        }
    }

    package func admit(_ channel: any Channel, address: String) -> Admission {
        let exempt = isExempt(address)
        let (admission, changed) = state.withLockedValue { state -> (Admission, [any Channel]?) in
            guard state.open.count < maximum else { return (.serverFull, nil) }
            if !exempt && state.perClient[address, default: 0] >= maximumPerClient { return (.clientFull, nil) }
            let id = state.nextID
            state.nextID += 1
            state.open[id] = (channel, address)
            if !exempt { state.perClient[address, default: 0] += 1 }
            if state.shuttingDown { channel.pipeline.fireUserInboundEventTriggered(ShutdownRequested()) }
            return (.admitted(id), updateStress(&state))
        }
        announce(changed)
        return admission
    }

    package func release(_ id: UInt64) {
        let changed = state.withLockedValue { state -> [any Channel]? in
            guard let entry = state.open.removeValue(forKey: id) else { return nil }
            if let count = state.perClient[entry.address] {
                state.perClient[entry.address] = count > 1 ? count - 1 : nil
            }
            return updateStress(&state)
        }
        announce(changed)
    }

    /// Counts a failed AUTH from `address`, for `account` when the exchange named one; returns
    /// the failures since the last success of the address or the account, whichever is more.
    func recordAuthFailure(_ address: String, account: String?) -> Int {
        state.withLockedValue { $0.authFailures.record(Self.failureKeys(address, account)) }
    }

    /// A successful AUTH from `address` as `account` clears the failures of both.
    func clearAuthFailures(_ address: String, account: String) {
        state.withLockedValue { $0.authFailures.clear(Self.failureKeys(address, account)) }
    }

    private static func failureKeys(_ address: String, _ account: String?) -> [AuthFailureTable.Key] {
        [.address(address)] + (account.map { [.account($0.asciiLowercased)] } ?? [])
    }

    /// Asks every open session to end with `421 4.3.2` after the command in progress.
    public func shutDownAll() {
        let channels = state.withLockedValue { state in
            state.shuttingDown = true
            return state.open.values.map(\.channel)
        }
        for channel in channels {
            channel.pipeline.fireUserInboundEventTriggered(ShutdownRequested())
        }
    }
}

/// Fired through a connection's pipeline when the server shuts down.
struct ShutdownRequested: Sendable {}
