package import TernSMTPCore

/// The answer to `RCPT TO:` for one forward path.
///
/// SeeAlso: docs/behaviour.md §5; RFC 5321 §3.4 (251 and 551), RFC 3463 for the enhanced codes.
package enum RecipientVerdict: Sendable, Hashable {
    /// `250 2.1.5`: a local mailbox, the expansion of an alias, or an authorised relay
    /// (`[.remote(mailbox)]`). Never empty.
    case accept([RecipientTarget])
    /// `251 2.1.5 User not local; will forward to <mailbox>`: queued for that mailbox.
    case forward(Mailbox)
    /// `551 5.1.6 User not local; please try <mailbox>`.
    case relocated(Mailbox)
    /// `550 5.1.1`: no such user in a local domain.
    case unknown
    /// `450 4.2.1`: the mailbox is closed for now (or every target of an alias is).
    case unavailable
    /// `550 5.2.1`: the mailbox is shut.
    case disabled
    /// `554 5.7.1`: a domain that is not local, and the client may not relay.
    case relayDenied
}
