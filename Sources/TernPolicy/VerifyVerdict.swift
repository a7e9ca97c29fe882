package import TernSMTPCore

/// The answer to `VRFY` for one mailbox.
///
/// SeeAlso: docs/behaviour.md §3; RFC 5321 §3.5.3 (252 when the server cannot or will not verify).
package enum VerifyVerdict: Sendable, Hashable {
    /// `250 2.1.5 <mailbox>`: the address is valid here; the mailbox as it was asked, lower-cased.
    case local(Mailbox)
    /// `251 2.1.5 User not local; will forward to <mailbox>`.
    case forward(Mailbox)
    /// `551 5.1.6 User not local; please try <mailbox>`.
    case relocated(Mailbox)
    /// `550 5.1.1`: no such user.
    case unknown
    /// `450 4.2.1`: the mailbox is closed for now.
    case unavailable
    /// `550 5.2.1`: the mailbox is shut.
    case disabled
    /// `252 2.1.5`: not verified, but mail for it would be taken: a non-local address when the
    /// client may relay, or any local address in ``VrfyMode/never`` mode.
    case cannotVerify
    /// `550 5.7.1 <mailbox>: Relay access denied`: a non-local address, and the client may not relay.
    case relayDenied
}
