/// What the caller of a ``SASLServer`` does next.
public enum SASLStep: Sendable, Hashable {
    /// Send `334` followed by the base64 of these octets (an empty array: `334 ` with no text),
    /// then read the client's next line and pass it, decoded, to ``SASLServer/respond(_:)``.
    case challenge([UInt8])
    /// Load the account `username` (perhaps asynchronously) and pass it, or `nil` when there is
    /// no such account, to ``SASLServer/credentialsFound(_:)``. A store that cannot be read is
    /// the caller's `454 4.7.0`, not an answer to the machine.
    case lookUp(username: String)
    /// `235 2.7.0 Authentication successful` as `username`. When `upgrade` is not `nil`, a legacy
    /// hash was just replaced (password transition): store these credentials atomically before
    /// or while replying.
    case success(username: String, upgrade: StoredCredentials?)
    /// The exchange failed; see ``SASLFailure`` for the reply.
    case failure(SASLFailure)
}
