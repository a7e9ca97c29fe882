import NIOPosix
import TernSASL
import TernSMTPCore

/// Runs one connection's SASL exchanges: the mechanism machine, the account lookups or the
/// owner's password check, the password transition, and the pause after a failure.
struct SASLDriver {
    let authentication: SMTPAuthentication
    let hostname: String
    let secret: SASLServerSecret
    let clientAddress: String
    let tracker: ConnectionTracker
    let failureDelay: Duration
    private var machine: SASLServer?
    /// The credentials the exchange checks against, for a password transition.
    private var found: StoredCredentials?
    /// The account name the exchange asked about, for the failure counts.
    private var username: String?

    init(authentication: SMTPAuthentication, hostname: String, secret: SASLServerSecret, clientAddress: String,
         tracker: ConnectionTracker, failureDelay: Duration) {
        self.authentication = authentication
        self.hostname = hostname
        self.secret = secret
        self.clientAddress = clientAddress
        self.tracker = tracker
        self.failureDelay = failureDelay
    }

    /// Starts an exchange; the session has checked that the mechanism is offered.
    mutating func start(_ name: String, initialResponse: [UInt8]?, tlsActive: Bool) async -> AuthenticationStep {
        guard let mechanism = SASLMechanism(name: name) else { return .invalidCredentials }
        var server = SASLServer(mechanism: mechanism, hostname: hostname, tlsActive: tlsActive, secret: secret,
                                random: SystemRandomSource())
        let step = server.start(initialResponse: initialResponse)
        machine = server
        username = nil
        return await follow(step)
    }

    /// The client's next response.
    mutating func respond(_ response: [UInt8]) async -> AuthenticationStep {
        guard var server = machine else { return .invalidCredentials }
        let step = server.respond(response)
        machine = server
        return await follow(step)
    }

    /// The client ended the exchange (`*`, or a response that is not base64): counted and
    /// paused for as a failure, so cancelling is no free way to probe names.
    mutating func abandon(_ reply: Reply) async -> AuthenticationStep {
        machine = nil
        await pauseAfterFailure()
        return .abandoned(reply)
    }

    private func pauseAfterFailure() async {
        let recent = tracker.recordAuthFailure(clientAddress, account: username)
        try? await Task.sleep(for: failureDelay * min(recent, 8))
    }

    /// Resolves look-ups and transitions until the step is one for the session.
    private mutating func follow(_ first: SASLStep) async -> AuthenticationStep {
        var step = first
        while true {
            switch step {
            case .challenge(let bytes):
                return .challenge(bytes)
            case .lookUp(let username):
                self.username = username
                let next: SASLStep?
                switch authentication.source {
                case .passwords(let authenticator): next = await checkPassword(with: authenticator)
                case .credentials(let store): next = await lookUp(username, in: store)
                }
                guard let next else {
                    machine = nil
                    return .temporaryFailure
                }
                step = next
            case .success(let username, let upgrade):
                machine = nil
                tracker.clearAuthFailures(clientAddress, account: username)
                if let upgrade, let found, case .credentials(let store) = authentication.source {
                    try? await store.upgrade(username, from: found, to: upgrade)
                }
                return .success(account: username)
            case .failure(let failure):
                machine = nil
                switch failure {
                case .mechanismTooWeak: return .mechanismTooWeak
                case .transitionNeeded: return .transitionNeeded
                case .invalidCredentials, .malformed:
                    await pauseAfterFailure()
                    return .invalidCredentials
                }
            }
        }
    }

    /// The owner's verdict on the password of a PLAIN or LOGIN exchange; nil when it can't
    /// be had now.
    private mutating func checkPassword(with authenticator: any PasswordAuthenticator) async -> SASLStep? {
        guard var server = machine, let supplied = server.suppliedPassword else { return .failure(.malformed) }
        let next: SASLStep
        switch await authenticator.verify(username: supplied.username, password: supplied.password) {
        case .accepted: next = server.passwordChecked(true)
        case .refused: next = server.passwordChecked(false)
        case .unavailable: return nil
        }
        machine = server
        return next
    }

    /// The machine's next step once `username`'s stored credentials are loaded; nil when the
    /// store can't be read.
    private mutating func lookUp(_ username: String, in store: any CredentialStore) async -> SASLStep? {
        let credentials: StoredCredentials?
        do {
            credentials = try await store.credentials(for: username)
        } catch {
            return nil
        }
        found = credentials
        guard let server = machine else { return .failure(.malformed) }
        // Key derivation and SHA-crypt take milliseconds: off the cooperative pool.
        let (next, after) = await Self.offload { () -> (SASLStep, SASLServer) in
            var server = server
            let next = server.credentialsFound(credentials)
            return (next, server)
        }
        machine = after
        return next
    }

    private static func offload<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        (try? await NIOThreadPool.singleton.runIfActive(work)) ?? work()
    }
}
