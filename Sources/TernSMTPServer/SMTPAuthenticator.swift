public import TernSASL

/// Where AUTH finds accounts: supplied by the server's owner (the MTA's account store).
public protocol SMTPAuthenticator: Sendable {
    /// The stored credentials of an account, nil when there is none; throwing means the store
    /// can't be read (454 4.7.0).
    func credentials(for username: String) async throws -> StoredCredentials?
    /// Stores the credentials derived at a password transition (docs/behaviour.md §13), durably, unless
    /// the account changed since `old` was read (a password change wins).
    func upgrade(_ username: String, from old: StoredCredentials, to new: StoredCredentials) async throws
}
