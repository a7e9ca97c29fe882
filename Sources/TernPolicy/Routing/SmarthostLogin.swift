/// The account Tern authenticates as at the smarthost (`[relay] smarthost_user` and the
/// password read from `smarthost_password_file`): SCRAM-SHA-256 when the smarthost offers it,
/// PLAIN otherwise, only over TLS (RFC 4954, docs/configuration.md `[relay]`).
public struct SmarthostLogin: Hashable, Sendable, CustomStringConvertible {
    /// The user name.
    public var username: String
    /// The password.
    public var password: String

    /// The login of `username` with `password`.
    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// The user name only.
    public var description: String { "SmarthostLogin(\(username), <redacted>)" }
}
