package import TernSMTPCore

/// The recipient tables of the local domains: who gets mail here, and what `RCPT` and `VRFY`
/// answer for every address (docs/configuration.md `[local]`, docs/behaviour.md §3 and §5).
///
/// Domains and local parts compare case-insensitively; local delivery targets are lower-cased.
/// `%`, `!` and a quoted `@` in a local part are plain characters, never routing: with a
/// `*@domain` mailbox they name a local mailbox like any other local part, otherwise they are
/// unknown.
///
/// When one address appears in several tables, the first of these decides:
/// relocated, disabled, unavailable, forward, alias, mailbox. Relocation and closures come first
/// because the operator set them about a person, on top of the routing tables; a forward beats
/// an alias because it names one explicit destination. Postmaster (`<Postmaster>` and
/// `postmaster@<local domain>`) is never refused (RFC 5321 §4.5.1): relocated, disabled and
/// unavailable entries do not apply to it, and when no forward, alias or mailbox covers it, it is
/// delivered to `postmaster@<primary domain>`.
///
/// Aliases expand recursively. Each target goes through the same tables: a forward becomes a
/// remote target, a mailbox a local one; relocated, disabled, unavailable and unknown targets are
/// dropped from the expansion. A target that is already being expanded (a cycle, including an
/// alias naming itself) or that is deeper than ``maximumAliasDepth`` is not expanded again but
/// taken as a mailbox. An alias whose expansion is empty answers `.unavailable` when one of its
/// targets was unavailable, `.unknown` otherwise.
package struct LocalRecipients: Sendable, Hashable {
    /// The local domains; the first is the primary domain.
    package let domains: [Domain]
    /// How `VRFY` answers for local addresses.
    package let vrfyMode: VrfyMode
    /// Domains whose mail is taken from anyone and held for ETRN or ATRN (`[[etrn.node]]`,
    /// `[odmr]`): RCPT gets 250, VRFY 252.
    package var holdDomains = HoldDomains()

    /// How many aliases deep an expansion may go before targets are taken as mailboxes.
    package static let maximumAliasDepth = 16

    let domainKeys: Set<String>
    let exactMailboxes: Set<MailboxKey>
    let wildcardDomains: Set<String>
    let aliases: [MailboxKey: [Mailbox]]
    let forwards: [MailboxKey: Mailbox]
    let relocations: [MailboxKey: Mailbox]
    let unavailableMailboxes: Set<MailboxKey>
    let disabledMailboxes: Set<MailboxKey>

    /// Builds the tables.
    ///
    /// Entries whose address is not in `domains` never match: mail for other domains follows the
    /// relay rule. When two keys of a table differ only in case, the one whose text sorts first
    /// is kept.
    ///
    /// - Parameters:
    ///   - domains: the local domains, primary first; must not be empty.
    ///   - mailboxes: accepted recipients.
    ///   - aliases: address → addresses, expanded silently at RCPT.
    ///   - forwards: address → address, answered with 251 and relayed there.
    ///   - relocated: address → address, answered with 551.
    ///   - unavailable: mailboxes closed for now (450 4.2.1).
    ///   - disabled: mailboxes shut (550 5.2.1).
    ///   - vrfyMode: how `VRFY` answers.
    package init(
        domains: [Domain],
        mailboxes: [MailboxPattern] = [],
        aliases: [Mailbox: [Mailbox]] = [:],
        forwards: [Mailbox: Mailbox] = [:],
        relocated: [Mailbox: Mailbox] = [:],
        unavailable: [Mailbox] = [],
        disabled: [Mailbox] = [],
        vrfyMode: VrfyMode = .verify
    ) {
        precondition(!domains.isEmpty, "LocalRecipients needs at least one local domain")
        self.domains = domains
        self.vrfyMode = vrfyMode
        domainKeys = Set(domains.map(\.normalized))
        var exact: Set<MailboxKey> = []
        var wildcards: Set<String> = []
        for pattern in mailboxes {
            switch pattern {
            case .mailbox(let mailbox): exact.insert(MailboxKey(mailbox))
            case .anyLocalPart(let domain): wildcards.insert(domain.normalized)
            }
        }
        exactMailboxes = exact
        wildcardDomains = wildcards
        self.aliases = Self.keyed(aliases)
        self.forwards = Self.keyed(forwards)
        relocations = Self.keyed(relocated)
        unavailableMailboxes = Set(unavailable.map(MailboxKey.init))
        disabledMailboxes = Set(disabled.map(MailboxKey.init))
    }

    /// The primary local domain: `VRFY user` means `user@<primaryDomain>`, and postmaster mail
    /// that no table covers goes to `postmaster@<primaryDomain>`.
    package var primaryDomain: Domain { domains[0] }

    /// Whether mail for `domain` is delivered here (case-insensitive).
    package func isLocal(_ domain: Domain) -> Bool {
        domainKeys.contains(domain.normalized)
    }

    /// The mailbox that receives postmaster mail no table covers.
    var postmasterMailbox: Mailbox {
        Mailbox(localPart: "postmaster", domain: primaryDomain).deliveryForm
    }

    private static func keyed<Value>(_ table: [Mailbox: Value]) -> [MailboxKey: Value] {
        var keyed: [MailboxKey: Value] = [:]
        for (mailbox, value) in table.sorted(by: { $0.key.description < $1.key.description }) {
            let key = MailboxKey(mailbox)
            if keyed[key] == nil { keyed[key] = value }
        }
        return keyed
    }
}
