/// The role of a listener (SPEC.md §0.3). This version serves `mx`.
public enum ListenerRole: String, Hashable, Sendable {
    /// Port 25: mail for local domains from anyone; relay only for authorised clients.
    case mx
}

/// What a server session needs to know about its server; no I/O, only values.
public struct ServerSessionConfiguration: Sendable, Hashable {
    /// The host name that starts the greeting, 221 and 421 replies.
    public var hostname: String
    /// The listener's role.
    public var role: ListenerRole
    /// False: no-mail mode (RFC 7504), every command but QUIT gets 521.
    public var acceptMail: Bool
    /// The largest message, advertised as `SIZE` (RFC 1870).
    public var messageSizeLimit: Int
    /// Accepted recipients per transaction.
    public var recipientLimit: Int
    /// Error replies (500-504, 555) a session may receive before it is closed with 421.
    public var badCommandLimit: Int

    public init(
        hostname: String, role: ListenerRole = .mx, acceptMail: Bool = true,
        messageSizeLimit: Int = 35 * 1_048_576, recipientLimit: Int = 100, badCommandLimit: Int = 20
    ) {
        self.hostname = hostname
        self.role = role
        self.acceptMail = acceptMail
        self.messageSizeLimit = messageSizeLimit
        self.recipientLimit = recipientLimit
        self.badCommandLimit = badCommandLimit
    }
}
