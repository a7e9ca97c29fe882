public import TernSMTPCore

/// How one `SMTPServer` listens and what limits it enforces (docs/behaviour.md §0.2).
public struct SMTPServerConfiguration: Sendable {
    /// The address to listen on: `127.0.0.1`, `::1`, `0.0.0.0`.
    public var host: String
    /// The port; 0 picks a free one (see `SMTPServer.localPort`).
    public var port: Int
    /// What each session needs: host name, role, limits.
    ///
    /// Its `tlsAvailable`, `authMechanisms` and `authRequiresTLS` follow from ``tls`` and
    /// ``authentication``: read here they show what sessions get; values set in them are not
    /// used.
    public var session: ServerSessionConfiguration {
        get {
            var derived = sessionSettings
            derived.tlsAvailable = tls != nil
            derived.authMechanisms = authentication?.mechanisms ?? []
            derived.authRequiresTLS = !(authentication?.allowsPlaintext ?? false)
            return derived
        }
        set { sessionSettings = newValue }
    }
    private var sessionSettings: ServerSessionConfiguration
    /// The longest wait for client input before `421 4.4.2`, and for room to write a reply
    /// before the connection is closed.
    public var idleTimeout: Duration
    /// The idle timeout while the server is under stress (docs/behaviour.md §0.2).
    public var stressIdleTimeout: Duration
    /// The TLS context: STARTTLS is offered on `mx` and `submission` exactly when there is one;
    /// `smtps` needs one.
    public var tls: TLSContextHolder?
    /// What AUTH checks against; AUTH is offered exactly when there is one, with the
    /// mechanisms it allows.
    public var authentication: SMTPAuthentication?
    /// The pause before answering a failed AUTH, times the client address's recent failures
    /// (at most 8).
    public var authFailureDelay: Duration

    /// A configuration; an `smtps` session needs `tls`.
    public init(
        host: String, port: Int, session: ServerSessionConfiguration, idleTimeout: Duration = .seconds(300),
        stressIdleTimeout: Duration = .seconds(10), tls: TLSContextHolder? = nil,
        authentication: SMTPAuthentication? = nil, authFailureDelay: Duration = .milliseconds(250)
    ) {
        precondition(session.role != .smtps || tls != nil, "smtps needs a TLS context")
        self.host = host
        self.port = port
        sessionSettings = session
        self.idleTimeout = idleTimeout
        self.stressIdleTimeout = stressIdleTimeout
        self.tls = tls
        self.authentication = authentication
        self.authFailureDelay = authFailureDelay
    }
}
