/// The role of a listener (docs/behaviour.md §0.3).
public enum ListenerRole: String, Hashable, Sendable, CaseIterable {
    /// Port 25: mail for local domains from anyone; relay only for authorised clients.
    case mx
    /// Port 587: STARTTLS, then AUTH, before any mail.
    case submission
    /// Port 465: implicit TLS, then as `submission`.
    case smtps
    /// Port 366: on-demand mail relay (RFC 2645): AUTH, then ATRN turns the connection around.
    case odmr
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
    /// A certificate is configured: STARTTLS works (on `mx` and `submission`). TernSMTPServer
    /// sets it from whether its configuration has a TLS context.
    public var tlsAvailable: Bool
    /// The SASL mechanisms AUTH accepts, by their wire names; empty: AUTH is not offered.
    /// TernSMTPServer sets them from its configuration's authentication.
    public var authMechanisms: [String]
    /// AUTH before TLS gets 538 5.7.11. TernSMTPServer sets it from its configuration's
    /// authentication.
    public var authRequiresTLS: Bool
    /// Failed AUTH attempts in one session before every further AUTH gets 454 4.7.0.
    public var authFailureLimit: Int
    /// CHECKPOINT is advertised on `mx`, `submission` and `smtps` and TRANSID transactions can
    /// resume (RFC 1845): the owner answers `lookUpCheckpoint` and keeps suspended messages.
    public var offersCheckpoint = false

    public init(
        hostname: String, role: ListenerRole = .mx, acceptMail: Bool = true,
        messageSizeLimit: Int = 35 * 1_048_576, recipientLimit: Int = 100, badCommandLimit: Int = 20,
        tlsAvailable: Bool = false, authMechanisms: [String] = [], authRequiresTLS: Bool = true,
        authFailureLimit: Int = 3
    ) {
        self.hostname = hostname
        self.role = role
        self.acceptMail = acceptMail
        self.messageSizeLimit = messageSizeLimit
        self.recipientLimit = recipientLimit
        self.badCommandLimit = badCommandLimit
        self.tlsAvailable = tlsAvailable
        self.authMechanisms = authMechanisms.map { $0.uppercased() }
        self.authRequiresTLS = authRequiresTLS
        self.authFailureLimit = authFailureLimit
    }

    /// `submission` and `smtps` take mail only from authenticated clients that own the sender.
    var requiresAuthentication: Bool { role == .submission || role == .smtps }
}
