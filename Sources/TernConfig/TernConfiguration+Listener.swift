package import TernSMTPCore

extension TernConfiguration {
    /// One socket to listen on (`[[listen]]`).
    package struct Listener: Sendable, Hashable {
        /// What this listener does (docs/behaviour.md §0.3); only the roles this version implements.
        package var role: ListenerRole
        /// The IP address to bind, without brackets: `127.0.0.1`, `::1`, `0.0.0.0`.
        package var host: String
        /// The TCP port, 1–65535.
        package var port: Int

        /// A listener.
        package init(role: ListenerRole, host: String, port: Int) {
            self.role = role
            self.host = host
            self.port = port
        }
    }
}
