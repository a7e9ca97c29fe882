extension TernConfiguration {
    /// SMTP AUTH settings (`[auth]`); present with its defaults when the file has no `[auth]`.
    package struct Auth: Sendable, Hashable {
        /// Every mechanism Tern implements, in the default order of ``mechanisms``.
        package static let supportedMechanisms = ["SCRAM-SHA-256", "PLAIN", "LOGIN", "CRAM-MD5"]

        /// The SASL mechanisms offered, upper-case, in the order given, each once and never
        /// empty (`auth.mechanisms`); each is one of ``supportedMechanisms``.
        package var mechanisms: [String]
        /// Whether AUTH before TLS gets 538 5.7.11 (`auth.require_tls`).
        package var requireTLS: Bool

        /// AUTH settings; the defaults are docs/configuration.md's: every supported mechanism, TLS required.
        package init(mechanisms: [String] = Auth.supportedMechanisms, requireTLS: Bool = true) {
            self.mechanisms = mechanisms
            self.requireTLS = requireTLS
        }
    }
}
