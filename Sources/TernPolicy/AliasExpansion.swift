import TernSMTPCore

/// The recursive expansion of one alias into delivery targets (rules in ``LocalRecipients``).
struct AliasExpansion {
    /// The targets, in the order first reached, without duplicates.
    private(set) var targets: [RecipientTarget] = []
    /// Whether a target was dropped because it is unavailable for now.
    private(set) var sawUnavailable = false

    private var reached: Set<RecipientTarget> = []
    private var expanded: Set<MailboxKey>

    /// Expands the alias `root`, whose targets are `members`.
    init(root: MailboxKey, members: [Mailbox], in recipients: LocalRecipients) {
        expanded = [root]
        for member in members {
            add(member, chain: [root], in: recipients)
        }
    }

    private mutating func add(_ mailbox: Mailbox, chain: [MailboxKey], in recipients: LocalRecipients) {
        guard recipients.isLocal(mailbox.domain) else {
            insert(.remote(mailbox))
            return
        }
        let key = MailboxKey(mailbox)
        let mayExpand = !chain.contains(key) && chain.count < LocalRecipients.maximumAliasDepth
        switch recipients.entry(for: key, allowingAlias: mayExpand) {
        case .relocated, .disabled, .unknown:
            return
        case .unavailable:
            sawUnavailable = true
        case .forward(let target):
            insert(recipients.target(forwardingTo: target))
        case .alias(let members):
            // A diamond: this alias's targets are already in the expansion.
            guard expanded.insert(key).inserted else { return }
            for member in members {
                add(member, chain: chain + [key], in: recipients)
            }
        case .mailbox:
            insert(.local(mailbox.deliveryForm))
        case .postmaster:
            insert(.local(recipients.postmasterMailbox))
        }
    }

    private mutating func insert(_ target: RecipientTarget) {
        if reached.insert(target).inserted { targets.append(target) }
    }
}
