package import TernSMTPCore

/// An entry of the local mailbox list (`local.mailboxes` in docs/configuration.md).
package enum MailboxPattern: Sendable, Hashable {
    /// Exactly this mailbox (`user@example.com`), compared case-insensitively.
    case mailbox(Mailbox)
    /// Every local part of this domain (`*@example.com`).
    case anyLocalPart(Domain)
}
