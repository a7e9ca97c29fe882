/// What a client session needs to know about its side of the connection; no I/O, only values.
///
/// SeeAlso: RFC 5321 §4.1.1.1, RFC 2033, RFC 3207.
public struct ClientSessionConfiguration: Sendable {
    /// The name Tern gives in EHLO, HELO or LHLO.
    public var hostname: String
    /// Speak LMTP: LHLO instead of EHLO, no HELO fallback, one reply per accepted recipient
    /// after the message text (RFC 2033).
    public var lmtp: Bool
    /// Deliver only over TLS: a peer that doesn't offer STARTTLS, or refuses it, gets nothing
    /// and every recipient is deferred.
    public var requireTLS: Bool
    /// The transport can start TLS, so STARTTLS is used whenever the peer offers it.
    public var tlsAvailable: Bool
    /// Authenticate after the greeting (and STARTTLS) with the first of its mechanisms the peer
    /// offers; nil for no AUTH.
    public var credentials: ClientCredentials?

    /// A configuration; `requireTLS` needs `tlsAvailable`.
    public init(
        hostname: String, lmtp: Bool = false, requireTLS: Bool = false, tlsAvailable: Bool = false,
        credentials: ClientCredentials? = nil
    ) {
        precondition(!requireTLS || tlsAvailable, "TLS can't be required of a transport that can't start it")
        self.hostname = hostname
        self.lmtp = lmtp
        self.requireTLS = requireTLS
        self.tlsAvailable = tlsAvailable
        self.credentials = credentials
    }
}
