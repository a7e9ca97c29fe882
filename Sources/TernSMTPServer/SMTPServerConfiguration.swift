public import TernSMTPCore

/// How one `SMTPServer` listens and what limits it enforces (docs/behaviour.md §0.2).
public struct SMTPServerConfiguration: Sendable {
    /// The address to listen on: `127.0.0.1`, `::1`, `0.0.0.0`.
    public var host: String
    /// The port; 0 picks a free one (see `SMTPServer.localPort`).
    public var port: Int
    /// What each session needs: host name, role, limits.
    public var session: ServerSessionConfiguration
    /// The longest wait for client input before `421 4.4.2`, and for room to write a reply
    /// before the connection is closed.
    public var idleTimeout: Duration
    /// The idle timeout while the server is under stress (docs/behaviour.md §0.2).
    public var stressIdleTimeout: Duration
    /// The TLS context for STARTTLS and `smtps`; required when the session offers TLS.
    public var tls: TLSContextHolder?
    /// The account store for AUTH; required when the session offers mechanisms.
    public var authenticator: (any SMTPAuthenticator)?
    /// The pause before answering a failed AUTH, times the client address's recent failures
    /// (at most 8).
    public var authFailureDelay: Duration

    public init(
        host: String, port: Int, session: ServerSessionConfiguration, idleTimeout: Duration = .seconds(300),
        stressIdleTimeout: Duration = .seconds(10), tls: TLSContextHolder? = nil, authenticator: (any SMTPAuthenticator)? = nil,
        authFailureDelay: Duration = .milliseconds(250)
    ) {
        precondition(!session.tlsAvailable && session.role != .smtps || tls != nil, "TLS needs a context")
        precondition(session.authMechanisms.isEmpty || authenticator != nil, "AUTH needs an authenticator")
        self.host = host
        self.port = port
        self.session = session
        self.idleTimeout = idleTimeout
        self.stressIdleTimeout = stressIdleTimeout
        self.tls = tls
        self.authenticator = authenticator
        self.authFailureDelay = authFailureDelay
    }
}
