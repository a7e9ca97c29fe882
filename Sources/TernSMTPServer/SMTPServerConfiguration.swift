import TernSMTPCore

/// How one `SMTPServer` listens and what limits it enforces (SPEC.md §0.2).
public struct SMTPServerConfiguration: Sendable {
    /// The address to listen on: `127.0.0.1`, `::1`, `0.0.0.0`.
    public var host: String
    /// The port; 0 picks a free one (see `SMTPServer.localPort`).
    public var port: Int
    /// What each session needs: host name, role, limits.
    public var session: ServerSessionConfiguration
    /// The longest wait for client input before `421 4.4.2`.
    public var idleTimeout: Duration

    public init(host: String, port: Int, session: ServerSessionConfiguration, idleTimeout: Duration = .seconds(300)) {
        self.host = host
        self.port = port
        self.session = session
        self.idleTimeout = idleTimeout
    }
}
