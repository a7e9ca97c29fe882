/// The argument of `MAIL FROM:`: a mailbox, or the null path `<>` used by bounces.
///
/// SeeAlso: RFC 5321 §4.1.2 (`Reverse-path`), §4.5.5.
public enum ReversePath: Hashable, Sendable, CustomStringConvertible {
    /// `<>`.
    case null
    /// `<mailbox>`; a source route, if any, has been dropped.
    case mailbox(Mailbox)

    /// The path with its brackets: `<user@example.com>` or `<>`.
    public var description: String {
        switch self {
        case .null: "<>"
        case .mailbox(let mailbox): "<\(mailbox)>"
        }
    }

    /// The mailbox, unless this is the null path.
    public var mailbox: Mailbox? {
        if case .mailbox(let mailbox) = self { return mailbox }
        return nil
    }
}

/// The argument of `RCPT TO:`.
///
/// SeeAlso: RFC 5321 §4.1.2 (`Forward-path`), §4.5.1 (`<Postmaster>`).
public enum ForwardPath: Hashable, Sendable, CustomStringConvertible {
    /// `<Postmaster>` without a domain, in any case.
    case postmaster
    /// `<mailbox>`; a source route, if any, has been dropped.
    case mailbox(Mailbox)

    /// The path with its brackets.
    public var description: String {
        switch self {
        case .postmaster: "<Postmaster>"
        case .mailbox(let mailbox): "<\(mailbox)>"
        }
    }
}
