package import TernSMTPCore

/// A mailbox as the recipient tables compare it: local part and domain lower-cased (docs/behaviour.md §5).
package struct MailboxKey: Hashable, Sendable {
    package let localPart: String
    package let domain: String

    package init(_ mailbox: Mailbox) {
        localPart = mailbox.localPart.lowercased()
        domain = mailbox.domain.normalized
    }

    /// Whether this is `postmaster@<domain>`, which RFC 5321 §4.5.1 requires to be accepted.
    package var isPostmaster: Bool { localPart == "postmaster" }
}
