/// The server side of one AUTH exchange (docs/behaviour.md §13) as a pure step machine: it does no I/O,
/// keeps no clock and logs nothing; the caller moves octets and loads accounts.
///
/// The caller creates one machine per `AUTH` command, calls ``start(initialResponse:)``, and then
/// follows each ``SASLStep``: for `.challenge` it sends `334` and passes the client's decoded
/// answer to ``respond(_:)``; for `.lookUp` it loads the account and calls
/// ``credentialsFound(_:)``; `.success` and `.failure` end the exchange. The caller itself
/// handles what docs/behaviour.md orders before the exchange (EHLO, syntax, TLS, failure limit), a `*`
/// cancellation and undecodable base64. A call out of order ends the exchange with
/// ``SASLFailure/malformed``.
///
/// Within the exchange the account's policy is checked before its credentials: a strong-only
/// account fails PLAIN, LOGIN and CRAM-MD5 with ``SASLFailure/mechanismTooWeak`` and a legacy-only
/// account fails CRAM-MD5 and SCRAM-SHA-256 with ``SASLFailure/transitionNeeded`` whatever the
/// client proves. CRAM-MD5 for an account without a CRAM-MD5 secret is
/// ``SASLFailure/invalidCredentials``, like a wrong password, so it reveals nothing about the
/// account.
///
/// SeeAlso: RFC 4954, RFC 4616, RFC 2195, RFC 5802, RFC 7677.
public struct SASLServer: Sendable {
    /// The length of the server's part of a SCRAM nonce, in printable characters.
    static let serverNonceLength = 30
    static let usernamePrompt = Array("Username:".utf8)
    static let passwordPrompt = Array("Password:".utf8)

    /// The mechanism of this exchange.
    public let mechanism: SASLMechanism
    let hostname: String
    let tlsActive: Bool
    let secret: SASLServerSecret
    var random: any RandomSource
    var state = State.initial

    /// A machine for one exchange.
    ///
    /// - Parameters:
    ///   - mechanism: the mechanism the client named.
    ///   - hostname: Tern's host name, put into the CRAM-MD5 challenge.
    ///   - tlsActive: whether the session is encrypted. A legacy-hash account's PLAIN or LOGIN
    ///     login performs the password transition (returns an upgrade) only over TLS.
    ///   - secret: the server-wide secret from which SCRAM decoys for unknown users are derived.
    ///   - random: the source of nonces, challenges and new salts.
    public init(mechanism: SASLMechanism, hostname: String, tlsActive: Bool, secret: SASLServerSecret,
                random: any RandomSource) {
        self.mechanism = mechanism
        self.hostname = hostname
        self.tlsActive = tlsActive
        self.secret = secret
        self.random = random
    }

    /// Starts the exchange. `initialResponse` is the decoded initial response of the AUTH
    /// command: `nil` when there was none, empty for `=`. CRAM-MD5 takes none (the caller
    /// answers one with `501 5.5.4` before creating the machine; the machine fails it as
    /// ``SASLFailure/malformed``).
    public mutating func start(initialResponse: [UInt8]?) -> SASLStep {
        guard case .initial = state else { return fail(.malformed) }
        switch mechanism {
        case .plain:
            guard let initialResponse else {
                state = .awaitingPlainResponse
                return .challenge([])
            }
            return plain(initialResponse)
        case .login:
            guard let initialResponse else {
                state = .awaitingLoginUsername
                return .challenge(SASLServer.usernamePrompt)
            }
            return loginUsername(initialResponse)
        case .cramMD5:
            guard initialResponse == nil else { return fail(.malformed) }
            return cramMD5Challenge()
        case .scramSHA256:
            guard let initialResponse else {
                state = .awaitingSCRAMClientFirst
                return .challenge([])
            }
            return scramClientFirst(initialResponse)
        }
    }

    /// Takes the client's answer to the last `.challenge`, base64-decoded by the caller.
    public mutating func respond(_ response: [UInt8]) -> SASLStep {
        switch state {
        case .awaitingPlainResponse:
            return plain(response)
        case .awaitingLoginUsername:
            return loginUsername(response)
        case .awaitingLoginPassword(let username):
            return loginPassword(response, username: username)
        case .awaitingCRAMMD5Response(let challenge):
            return cramMD5Response(response, challenge: challenge)
        case .awaitingSCRAMClientFirst:
            return scramClientFirst(response)
        case .awaitingSCRAMClientFinal(let exchange):
            return scramClientFinal(response, exchange: exchange)
        case .awaitingSCRAMAcknowledgement(let username):
            guard response.isEmpty else { return fail(.malformed) }
            return succeed(username, upgrade: nil)
        case .initial, .awaitingPasswordCredentials, .awaitingCRAMMD5Credentials, .awaitingSCRAMCredentials,
             .finished:
            return fail(.malformed)
        }
    }

    /// Takes the account the last `.lookUp` asked for: its stored credentials, or `nil` when
    /// there is no such account.
    public mutating func credentialsFound(_ credentials: StoredCredentials?) -> SASLStep {
        switch state {
        case .awaitingPasswordCredentials(let username, let password):
            return verifyPassword(password, username: username, credentials: credentials)
        case .awaitingCRAMMD5Credentials(let username, let challenge, let digest):
            return verifyCRAMMD5(digest, challenge: challenge, username: username, credentials: credentials)
        case .awaitingSCRAMCredentials(let clientFirst):
            return scramServerFirst(clientFirst, credentials: credentials)
        case .initial, .awaitingPlainResponse, .awaitingLoginUsername, .awaitingLoginPassword,
             .awaitingCRAMMD5Response, .awaitingSCRAMClientFirst, .awaitingSCRAMClientFinal,
             .awaitingSCRAMAcknowledgement, .finished:
            return fail(.malformed)
        }
    }

    /// The failure the account's policy imposes on this mechanism, if any.
    func policyFailure(_ credentials: StoredCredentials) -> SASLFailure? {
        if credentials.strongOnly && mechanism != .scramSHA256 { return .mechanismTooWeak }
        if credentials.scram == nil && credentials.legacy != nil && (mechanism == .cramMD5 || mechanism == .scramSHA256) {
            return .transitionNeeded
        }
        return nil
    }

    mutating func succeed(_ username: String, upgrade: StoredCredentials?) -> SASLStep {
        state = .finished
        return .success(username: username, upgrade: upgrade)
    }

    mutating func fail(_ failure: SASLFailure) -> SASLStep {
        state = .finished
        return .failure(failure)
    }
}

extension SASLServer: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The mechanism only: the exchange's messages and passwords are never described.
    public var description: String { "SASLServer(\(mechanism.rawValue))" }
    /// Same as ``description``.
    public var debugDescription: String { description }
    /// A mirror with the mechanism only, so `dump` shows no AUTH data.
    public var customMirror: Mirror { Mirror(self, children: ["mechanism": mechanism]) }
}
