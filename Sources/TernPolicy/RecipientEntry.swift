package import TernSMTPCore

/// What the recipient tables say about one local address, after the priority rule of
/// ``LocalRecipients``.
enum RecipientEntry {
    case relocated(Mailbox)
    case disabled
    case unavailable
    case forward(Mailbox)
    case alias([Mailbox])
    case mailbox
    /// Postmaster, covered by no forward, alias or mailbox.
    case postmaster
    case unknown
}

extension LocalRecipients {
    /// The entry for a local address. With `allowingAlias` false the alias table is skipped,
    /// which is how a cycle or a too-deep expansion ends.
    func entry(for key: MailboxKey, allowingAlias: Bool) -> RecipientEntry {
        if !key.isPostmaster {
            if let target = relocations[key] { return .relocated(target) }
            if disabledMailboxes.contains(key) { return .disabled }
            if unavailableMailboxes.contains(key) { return .unavailable }
        }
        if let target = forwards[key] { return .forward(target) }
        if allowingAlias, let targets = aliases[key] { return .alias(targets) }
        if exactMailboxes.contains(key) || wildcardDomains.contains(key.domain) { return .mailbox }
        return key.isPostmaster ? .postmaster : .unknown
    }

    /// The target a forward resolves to: local delivery when it names a local domain, never a
    /// relay to this server (docs/behaviour.md §11).
    package func target(forwardingTo mailbox: Mailbox) -> RecipientTarget {
        isLocal(mailbox.domain) ? .local(mailbox.deliveryForm) : .remote(mailbox)
    }
}
