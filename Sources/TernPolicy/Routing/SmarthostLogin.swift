/// The account Tern authenticates as at the smarthost (`[relay] smarthost_user` and the
/// password read from `smarthost_password_file`): SCRAM-SHA-256 when the smarthost offers it,
/// PLAIN otherwise, only over TLS (RFC 4954, docs/configuration.md `[relay]`).
package struct SmarthostLogin: Hashable, Sendable, CustomStringConvertible {
    /// The user name.
    package var username: String
    /// The password.
    package var password: String

    /// The login of `username` with `password`.
    package init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// The user name only.
    package var description: String { "SmarthostLogin(\(username), <redacted>)" }
}
