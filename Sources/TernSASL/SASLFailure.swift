/// Why an AUTH exchange failed, with the reply each case gets (docs/behaviour.md §13).
public enum SASLFailure: Error, Sendable, Hashable {
    /// Wrong password, unknown user, wrong SCRAM proof, or CRAM-MD5 for an account that holds no
    /// CRAM-MD5 secret: `535 5.7.8 Authentication credentials invalid`, counted.
    case invalidCredentials
    /// The account allows only SCRAM-SHA-256 and the client used PLAIN, LOGIN or CRAM-MD5:
    /// `534 5.7.9 Authentication mechanism is too weak`, not counted.
    case mechanismTooWeak
    /// The account holds only a legacy hash and the client used CRAM-MD5 or SCRAM-SHA-256:
    /// `432 4.7.12 A password transition is needed`, not counted.
    case transitionNeeded
    /// The client's message broke the mechanism's rules: a bad PLAIN form, an authorization
    /// identity other than the user, an empty user name or password, a bad SCRAM message, nonce
    /// or channel binding, a SCRAM `p=` channel-binding request, or a call out of order. Also
    /// `535 5.7.8 Authentication credentials invalid`, counted; kept apart for the operator log.
    case malformed

    /// Whether the failure counts toward `limits.auth_failures` (only 534 and 432 do not).
    public var isCounted: Bool {
        switch self {
        case .invalidCredentials, .malformed: true
        case .mechanismTooWeak, .transitionNeeded: false
        }
    }
}
