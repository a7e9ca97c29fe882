/// What the client authenticates with when the peer asks for it, as a smarthost does
/// (RFC 4954): the SASL mechanisms it can use, in order of preference; the first the peer
/// offers is used.
///
/// The exchange happens only over TLS unless `allowInClearText` is set; no secret appears in
/// a description or a log.
public struct ClientCredentials: Sendable, CustomStringConvertible {
    /// The authentication identity, for descriptions and logs.
    public var username: String
    /// The mechanisms the client can use, preferred first.
    public var mechanisms: [any SASLClientMechanism]
    /// Also authenticate on a connection without TLS (for a peer on the same host).
    public var allowInClearText: Bool

    /// Credentials for PLAIN only.
    public init(username: String, password: String, allowInClearText: Bool = false) {
        self.init(
            username: username, mechanisms: [PlainClientMechanism(username: username, password: password)],
            allowInClearText: allowInClearText)
    }

    /// Credentials for the given mechanisms, preferred first.
    public init(username: String, mechanisms: [any SASLClientMechanism], allowInClearText: Bool = false) {
        self.username = username
        self.mechanisms = mechanisms
        self.allowInClearText = allowInClearText
    }

    /// The user name and the mechanisms' names only.
    public var description: String {
        "ClientCredentials(\(username), \(mechanisms.map(\.name).joined(separator: " ")), <redacted>)"
    }
}
