import TernSASL
import Testing

/// Shared values and helpers of the SASL tests.
enum Fixtures {
    static let hostname = "mx.example.com"

    static func secret() -> SASLServerSecret {
        var random = FixedRandomSource("per-server secret for tests")
        return SASLServerSecret(random: &random)
    }

    static func server(_ mechanism: SASLMechanism, tlsActive: Bool = true, hostname: String = hostname,
                       random: FixedRandomSource = FixedRandomSource("0123456789abcdefghijklmnopqrstuvwxyz"),
                       secret: SASLServerSecret = secret()) -> SASLServer {
        SASLServer(mechanism: mechanism, hostname: hostname, tlsActive: tlsActive, secret: secret, random: random)
    }

    /// An account created with `password` and the given policy.
    static func account(_ password: String, allowCRAMMD5: Bool = false, strongOnly: Bool = false) -> StoredCredentials {
        var random = FixedRandomSource("salt for a test account")
        return StoredCredentials.create(password: password, allowCRAMMD5: allowCRAMMD5, strongOnly: strongOnly,
                                        random: &random)
    }

    /// `authzid NUL authcid NUL passwd`.
    static func plainMessage(_ username: String, _ password: String, authorization: String = "") -> [UInt8] {
        Array(authorization.utf8) + [0] + Array(username.utf8) + [0] + Array(password.utf8)
    }

    /// A whole PLAIN exchange with an initial response: the step after the account lookup.
    static func plainLogin(_ username: String, _ password: String, credentials: StoredCredentials?,
                           tlsActive: Bool = true) -> SASLStep {
        var server = server(.plain, tlsActive: tlsActive)
        #expect(server.start(initialResponse: plainMessage(username, password)) == .lookUp(username: username))
        return server.credentialsFound(credentials)
    }
}
