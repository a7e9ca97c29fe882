package import TernPolicy

extension TernConfiguration {
    /// The limits of docs/behaviour.md §0.2 (`[limits]`).
    package struct Limits: Sendable, Equatable {
        /// Largest message accepted, in octets, advertised as `SIZE` (552 5.3.4 above it).
        package var messageSize: Int
        /// Accepted recipients per transaction (452 4.5.3 after it).
        package var recipients: Int
        /// Open connections, whole server (421 4.3.2 at connect).
        package var connections: Int
        /// Open connections per client address (421 4.7.0 at connect).
        package var connectionsPerClient: Int
        /// Clients not counted against ``connectionsPerClient``.
        package var exemptNetworks: [Network]
        /// Longest wait for a command, data line, chunk or SASL response (421 4.4.2), and for
        /// room to write a reply (then the connection is closed).
        package var idleTimeout: Duration
        /// The idle timeout while 80 % of ``connections`` are in use (docs/behaviour.md §0.2).
        package var stressIdleTimeout: Duration
        /// Protocol errors per session before 421 4.7.0.
        package var badCommands: Int
        /// Failed AUTH attempts in one session before every further AUTH gets 454 4.7.0.
        package var authFailures: Int
        /// Free octets the spool file system must keep; below it MAIL gets 452 4.3.1.
        package var minFreeDisk: Int

        /// Limits; every default is docs/configuration.md's.
        package init(
            messageSize: Int = 35 * 1_048_576,
            recipients: Int = 100,
            connections: Int = 10_000,
            connectionsPerClient: Int = 50,
            exemptNetworks: [Network] = [.ipv4Loopback, .ipv6Loopback],
            idleTimeout: Duration = .seconds(5 * 60),
            stressIdleTimeout: Duration = .seconds(10),
            badCommands: Int = 20,
            minFreeDisk: Int = 100 * 1_048_576,
            authFailures: Int = 3
        ) {
            self.messageSize = messageSize
            self.recipients = recipients
            self.connections = connections
            self.connectionsPerClient = connectionsPerClient
            self.exemptNetworks = exemptNetworks
            self.idleTimeout = idleTimeout
            self.stressIdleTimeout = stressIdleTimeout
            self.badCommands = badCommands
            self.minFreeDisk = minFreeDisk
            self.authFailures = authFailures
        }
    }
}
