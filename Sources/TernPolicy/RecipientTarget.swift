package import TernSMTPCore

/// Where an accepted recipient's copy of a message goes.
package enum RecipientTarget: Sendable, Hashable {
    /// A mailbox of this server, lower-cased: its Maildir is `<data_dir>/mail/<domain>/<local part>/`.
    case local(Mailbox)
    /// A mailbox elsewhere: the message is queued and relayed to it.
    case remote(Mailbox)
}
