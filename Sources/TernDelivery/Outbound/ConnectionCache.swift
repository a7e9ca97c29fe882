import Synchronization
import TernSMTPClient
import TernSpool

/// Connections to peers kept open between batches, by destination and host, as Postfix's
/// `scache` keeps them: a batch for a host with an idle connection goes over it, without a new
/// connect, greeting and EHLO (docs/architecture.md "Outbound connections").
///
/// A connection is kept while it is open, at most `idleTimeout` without work (it QUITs then on
/// its own) and taken for new work only while younger than `maximumAge`. The dispatcher's slots
/// bound the connections in use; idle ones were all in use a moment ago, so they stay within
/// the same limits.
final class ConnectionCache: Sendable {
    typealias Connection = SMTPClientConnection<SpoolBody>

    /// A cached connection's peer, and the destination whose settings it was opened with.
    struct Key: Hashable {
        var destination: Destination
        var peer: PeerAddress
    }

    /// How long a connection waits for more work (Postfix's `smtp_connection_cache_time_limit`).
    static let idleTimeout: Duration = .seconds(2)
    /// How long a connection is reused (Postfix's `smtp_connection_reuse_time_limit`).
    static let maximumAge: Duration = .seconds(300)

    private let idle = Mutex(Idle())

    /// An open connection to `key`'s peer nobody uses, or nil.
    func take(_ key: Key) -> Connection? {
        let (found, stale) = idle.withLock { $0.take(key) }
        for connection in stale { connection.close() }
        return found
    }

    /// Keeps `connection` for the next batch to `key`'s peer, unless it has ended.
    func keep(_ connection: Connection, for key: Key) {
        guard connection.isOpen else { return }
        idle.withLock { $0.keep(connection, for: key) }
    }

    /// Closes every idle connection and returns once each has ended (QUIT and its reply, or
    /// the short wait for it); for stopping.
    func closeAll() async {
        let all = idle.withLock { idle in
            defer { idle.connections = [:] }
            return idle.connections.values.flatMap { $0 }
        }
        for connection in all { connection.close() }
        for connection in all { await connection.ended() }
    }

    private struct Idle {
        var connections: [Key: [Connection]] = [:]
        /// Keeps since the last sweep of connections that ended while idle.
        var keepsSinceSweep = 0

        /// The newest usable connection for `key`, and those found too old.
        mutating func take(_ key: Key) -> (Connection?, stale: [Connection]) {
            var stale: [Connection] = []
            while var list = connections[key], let connection = list.popLast() {
                connections[key] = list.isEmpty ? nil : list
                guard connection.isOpen else { continue }
                if ContinuousClock.now - connection.openedAt < ConnectionCache.maximumAge { return (connection, stale) }
                stale.append(connection)
            }
            return (nil, stale)
        }

        mutating func keep(_ connection: Connection, for key: Key) {
            connections[key, default: []].append(connection)
            keepsSinceSweep += 1
            guard keepsSinceSweep >= 256 else { return }
            keepsSinceSweep = 0
            connections = connections.compactMapValues { list in
                let open = list.filter(\.isOpen)
                return open.isEmpty ? nil : open
            }
        }
    }
}
