/// What the client authenticates with when the peer asks for it, as a smarthost does
/// (RFC 4954, SASL PLAIN of RFC 4616).
///
/// The password goes to the peer only over TLS unless `allowInClearText` is set; it never
/// appears in a description or a log.
public struct ClientCredentials: Sendable, Hashable, CustomStringConvertible {
    /// The authentication identity.
    public var username: String
    /// The password.
    public var password: String
    /// Also authenticate on a connection without TLS (for a peer on the same host).
    public var allowInClearText: Bool

    public init(username: String, password: String, allowInClearText: Bool = false) {
        self.username = username
        self.password = password
        self.allowInClearText = allowInClearText
    }

    /// The user name only.
    public var description: String {
        "ClientCredentials(\(username), <redacted>)"
    }

    /// The PLAIN initial response: no authorization identity, the user name, the password
    /// (RFC 4616 §2).
    var plainResponse: [UInt8] {
        [0] + Array(username.utf8) + [0] + Array(password.utf8)
    }
}
