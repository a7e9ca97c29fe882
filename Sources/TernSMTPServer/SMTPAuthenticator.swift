public import TernSASL

/// The verdict of a ``PasswordAuthenticator`` on a user name and password.
public enum PasswordVerdict: Sendable, Hashable {
    /// The password is right: the client is authenticated as the user name it gave
    /// (`235 2.7.0`).
    case accepted
    /// Unknown user or wrong password: `535 5.7.8 Authentication credentials invalid`,
    /// counted against the session's failure limit and followed by the failure pause
    /// (docs/behaviour.md §13).
    case refused
    /// The check can't be made now (the user database is down): `454 4.7.0 Temporary
    /// authentication failure`, not counted.
    case unavailable
}

/// AUTH by password for a server's owner that checks passwords itself: the client sends the
/// user name and password with PLAIN (RFC 4616) or LOGIN, and the server asks ``verify(username:password:)``.
///
/// With one of these, EHLO offers exactly `AUTH PLAIN LOGIN`, and only inside TLS unless the
/// owner allows plaintext (RFC 4954 §4: a mechanism that sends the password needs an
/// encrypted connection); see ``SMTPAuthentication/passwords(_:allowPlaintext:)``.
public protocol PasswordAuthenticator: Sendable {
    /// Whether `password` is the password of `username` (both as the client sent them, UTF-8,
    /// neither empty).
    func verify(username: String, password: String) async -> PasswordVerdict
}

/// AUTH against credentials stored in advance (docs/behaviour.md §13), which CRAM-MD5 and
/// SCRAM-SHA-256 need: the server never sees their passwords, only proofs it checks against
/// these. Tern's own account store is one; `StoredCredentials` comes from the TernSASL library.
public protocol CredentialStore: Sendable {
    /// The stored credentials of an account, nil when there is none; throwing means the store
    /// can't be read (454 4.7.0).
    func credentials(for username: String) async throws -> StoredCredentials?
    /// Stores the credentials derived at a password transition (docs/behaviour.md §13), durably, unless
    /// the account changed since `old` was read (a password change wins).
    func upgrade(_ username: String, from old: StoredCredentials, to new: StoredCredentials) async throws
}

/// What AUTH checks against, and so which SASL mechanisms EHLO offers (RFC 4954).
public struct SMTPAuthentication: Sendable {
    enum Source: Sendable {
        case passwords(any PasswordAuthenticator)
        case credentials(any CredentialStore)
    }

    let source: Source
    /// The mechanisms AUTH accepts, by their wire names.
    public let mechanisms: [String]
    /// AUTH is also offered before TLS (on `mx`; `submission` takes no AUTH before STARTTLS,
    /// docs/behaviour.md §0.3).
    public let allowsPlaintext: Bool

    /// PLAIN and LOGIN, checked by `authenticator`.
    ///
    /// - Parameters:
    ///   - authenticator: checks each user name and password.
    ///   - allowPlaintext: also offer AUTH on a connection without TLS, where the password
    ///     crosses the network readable (RFC 4954 §4 forbids it without another protection,
    ///     such as a loopback or otherwise private link).
    public static func passwords(_ authenticator: any PasswordAuthenticator, allowPlaintext: Bool = false)
        -> SMTPAuthentication
    {
        SMTPAuthentication(source: .passwords(authenticator), mechanisms: [SASLMechanism.plain, .login].map(\.rawValue),
                           allowsPlaintext: allowPlaintext)
    }

    /// The mechanisms of `store`'s credentials: by default PLAIN, LOGIN, CRAM-MD5 and
    /// SCRAM-SHA-256 (docs/behaviour.md §13).
    ///
    /// - Parameters:
    ///   - store: where the accounts' credentials are.
    ///   - mechanisms: the ones to offer; at least one.
    ///   - allowPlaintext: also offer AUTH before TLS (`auth.require_tls = false`,
    ///     docs/configuration.md); on `odmr`, CRAM-MD5 and SCRAM-SHA-256 work before TLS anyway.
    public static func storedCredentials(
        _ store: any CredentialStore, mechanisms: [SASLMechanism] = SASLMechanism.allCases, allowPlaintext: Bool = false
    ) -> SMTPAuthentication {
        precondition(!mechanisms.isEmpty, "AUTH needs a mechanism")
        return SMTPAuthentication(source: .credentials(store), mechanisms: mechanisms.map(\.rawValue),
                                  allowsPlaintext: allowPlaintext)
    }
}
