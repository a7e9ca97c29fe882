// PLAIN (RFC 4616) and LOGIN: the client sends the password, checked against the SCRAM keys or,
// for an imported account, the legacy hash.
extension SASLServer {
    /// `[authzid] NUL authcid NUL passwd`, all UTF-8; the authorization identity, when present,
    /// must be the user.
    mutating func plain(_ message: [UInt8]) -> SASLStep {
        let fields = message.split(separator: 0, omittingEmptySubsequences: false)
        guard fields.count == 3,
              let authorization = String(validating: fields[0], as: UTF8.self),
              let username = String(validating: fields[1], as: UTF8.self),
              let password = String(validating: fields[2], as: UTF8.self),
              !username.isEmpty, !password.isEmpty,
              authorization.isEmpty || authorization == username else { return fail(.malformed) }
        state = .awaitingPasswordCredentials(username: username, password: password)
        return .lookUp(username: username)
    }

    mutating func loginUsername(_ response: [UInt8]) -> SASLStep {
        guard let username = String(validating: response, as: UTF8.self), !username.isEmpty,
              !response.contains(0) else { return fail(.malformed) }
        state = .awaitingLoginPassword(username: username)
        return .challenge(SASLServer.passwordPrompt)
    }

    mutating func loginPassword(_ response: [UInt8], username: String) -> SASLStep {
        guard let password = String(validating: response, as: UTF8.self), !password.isEmpty else {
            return fail(.malformed)
        }
        state = .awaitingPasswordCredentials(username: username, password: password)
        return .lookUp(username: username)
    }

    mutating func verifyPassword(_ password: String, username: String, credentials: StoredCredentials?) -> SASLStep {
        guard let credentials else {
            // As much work as a real account's check, so the reply time does not tell whether
            // the user exists.
            _ = secret.decoyKeys(for: username).verify(password)
            return fail(.invalidCredentials)
        }
        if let failure = policyFailure(credentials) { return fail(failure) }
        if let scram = credentials.scram {
            return scram.verify(password) ? succeed(username, upgrade: nil) : fail(.invalidCredentials)
        }
        guard let legacy = credentials.legacy, legacy.verify(password) else { return fail(.invalidCredentials) }
        return succeed(username, upgrade: tlsActive ? credentials.upgraded(password: password, random: &random) : nil)
    }
}

// A caller that checks passwords itself (an embedding server's own user database) takes the
// password at `.lookUp` instead of loading stored credentials.
extension SASLServer {
    /// The user name and password of a PLAIN or LOGIN exchange that stands at `.lookUp`; nil
    /// at any other point, and for CRAM-MD5 and SCRAM-SHA-256, whose clients send no password.
    public var suppliedPassword: (username: String, password: String)? {
        guard case .awaitingPasswordCredentials(let username, let password) = state else { return nil }
        return (username, password)
    }

    /// The caller's own verdict on ``suppliedPassword``, instead of ``credentialsFound(_:)``:
    /// success as that user name, or ``SASLFailure/invalidCredentials``.
    public mutating func passwordChecked(_ valid: Bool) -> SASLStep {
        guard case .awaitingPasswordCredentials(let username, _) = state else { return fail(.malformed) }
        return valid ? succeed(username, upgrade: nil) : fail(.invalidCredentials)
    }
}
