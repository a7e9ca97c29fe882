import TernSMTPCore

extension TernConfiguration {
    /// One socket to listen on (`[[listen]]`).
    public struct Listener: Sendable, Hashable {
        /// What this listener does (docs/behaviour.md §0.3); only the roles this version implements.
        public var role: ListenerRole
        /// The IP address to bind, without brackets: `127.0.0.1`, `::1`, `0.0.0.0`.
        public var host: String
        /// The TCP port, 1–65535.
        public var port: Int

        /// A listener.
        public init(role: ListenerRole, host: String, port: Int) {
            self.role = role
            self.host = host
            self.port = port
        }
    }
}
