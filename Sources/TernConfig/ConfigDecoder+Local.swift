import TernPolicy
import TernSMTPCore

extension ConfigDecoder {
    /// `[local]`: the defaults of ``TernConfiguration/defaultLocalRecipients(hostname:)`` when
    /// absent; nil when an error was reported.
    ///
    /// Without `mailboxes`, every local part of every local domain is accepted (`*@<domain>`),
    /// as in the embedded default.
    mutating func decodeLocal(_ node: TOMLNode?, at path: ConfigKeyPath, hostname: String) -> LocalRecipients? {
        guard let node else { return TernConfiguration.defaultLocalRecipients(hostname: hostname) }
        let errorCount = errors.count
        guard let table = table(node, at: path) else { return nil }
        checkKeys(table, at: path, allowed: [
            "domains", "mailboxes", "aliases", "forward", "relocated", "unavailable", "disabled", "vrfy",
        ])

        var domains = TernConfiguration.defaultLocalDomains(hostname: hostname)
        var localDomains: Set<String>? = Set(domains.map(\.normalized))
        if let node = table["domains"] {
            let domainsPath = path.appending("domains")
            if let listed = array(node, at: domainsPath, of: "domains", { $0.domain($1, at: $2) }) {
                var seen: Set<String> = []
                domains = listed.filter { seen.insert($0.normalized).inserted }
                localDomains = seen
                if domains.isEmpty { report(domainsPath, "at least one local domain is required") }
            } else {
                // Which addresses are local is unknown: skip that check rather than guess.
                localDomains = nil
            }
        }
        let sources = SourceRules(localDomains: localDomains)

        let mailboxes = table["mailboxes"].map { node in
            array(node, at: path.appending("mailboxes"), of: "addresses") { $0.mailboxPattern($1, at: $2, sources) }
                ?? []
        } ?? domains.map(MailboxPattern.anyLocalPart)
        let aliases = table["aliases"].map { node in
            addressTable(node, at: path.appending("aliases"), sources) { $0.aliasTargets($1, at: $2) }
        }
        let forwards = table["forward"].map { node in
            addressTable(node, at: path.appending("forward"), sources) { $0.address($1, at: $2) }
        }
        let relocated = table["relocated"].map { node in
            addressTable(node, at: path.appending("relocated"), sources.refusing) { $0.address($1, at: $2) }
        }
        let unavailable = table["unavailable"].map { localAddresses($0, at: path.appending("unavailable"), sources) }
        let disabled = table["disabled"].map { localAddresses($0, at: path.appending("disabled"), sources) }
        let vrfyMode = table["vrfy"].flatMap { choice($0, at: path.appending("vrfy"), of: VrfyMode.self) }

        guard errors.count == errorCount else { return nil }
        return LocalRecipients(
            domains: domains, mailboxes: mailboxes, aliases: aliases ?? [:], forwards: forwards ?? [:],
            relocated: relocated ?? [:], unavailable: unavailable ?? [], disabled: disabled ?? [],
            vrfyMode: vrfyMode ?? .verify)
    }

    /// What an address that is a key or entry of a `[local]` table must be.
    struct SourceRules {
        /// The normalized local domains; nil when `local.domains` is itself bad.
        let localDomains: Set<String>?
        /// Whether the table refuses mail (relocated, unavailable, disabled), which postmaster
        /// may not be.
        var refusesMail = false

        var refusing: SourceRules {
            var rules = self
            rules.refusesMail = true
            return rules
        }
    }

    /// A table from local addresses to values read by `value`; keys that differ only in case
    /// are an error.
    private mutating func addressTable<Value>(
        _ node: TOMLNode, at path: ConfigKeyPath, _ rules: SourceRules,
        _ value: (inout ConfigDecoder, TOMLNode, ConfigKeyPath) -> Value?
    ) -> [Mailbox: Value] {
        guard let table = table(node, at: path) else { return [:] }
        var result: [Mailbox: Value] = [:]
        var seen: [MailboxKey: String] = [:]
        for entry in entriesInFileOrder(table, at: path) {
            let (key, node) = (entry.key, entry.value)
            let keyPath = path.appending(key)
            let source = localAddress(text: key, quoted: TOMLNode.quote(key), at: keyPath, rules)
            let target = value(&self, node, keyPath)
            guard let source, let target else { continue }
            if let earlier = seen.updateValue(key, forKey: MailboxKey(source)) {
                report(keyPath, "same address as \(TOMLNode.quote(earlier)) (addresses compare case-insensitively)")
                continue
            }
            result[source] = target
        }
        return result
    }

    /// The value of an alias: a non-empty list of addresses, local or not.
    private mutating func aliasTargets(_ node: TOMLNode, at path: ConfigKeyPath) -> [Mailbox]? {
        guard let targets = array(node, at: path, of: "addresses", { $0.address($1, at: $2) }) else { return nil }
        if targets.isEmpty { report(path, "an alias needs at least one address") }
        return targets
    }

    /// `unavailable` or `disabled`: addresses in the local domains, postmaster excluded.
    private mutating func localAddresses(_ node: TOMLNode, at path: ConfigKeyPath, _ rules: SourceRules) -> [Mailbox] {
        array(node, at: path, of: "addresses") { $0.localAddress($1, at: $2, rules.refusing) } ?? []
    }

    /// An address in a local domain, as a list entry.
    private mutating func localAddress(_ node: TOMLNode, at path: ConfigKeyPath, _ rules: SourceRules) -> Mailbox? {
        guard let text = string(node, at: path) else { return nil }
        return localAddress(text: text, quoted: node.quoted, at: path, rules)
    }

    private mutating func localAddress(text: String, quoted: String, at path: ConfigKeyPath, _ rules: SourceRules) -> Mailbox? {
        guard let mailbox = mailbox(text: text, quoted: quoted, at: path) else { return nil }
        if let domains = rules.localDomains, !domains.contains(mailbox.domain.normalized) {
            report(path, "\(quoted) is not in a local domain")
            return nil
        }
        if rules.refusesMail, MailboxKey(mailbox).isPostmaster {
            report(path, "postmaster must always be accepted (RFC 5321 §4.5.1)")
            return nil
        }
        return mailbox
    }

    /// Any address, local or not: a target of an alias, forward or relocation.
    private mutating func address(_ node: TOMLNode, at path: ConfigKeyPath) -> Mailbox? {
        guard let text = string(node, at: path) else { return nil }
        return mailbox(text: text, quoted: node.quoted, at: path)
    }

    private mutating func mailbox(text: String, quoted: String, at path: ConfigKeyPath) -> Mailbox? {
        if text.hasPrefix("*@") {
            report(path, "a wildcard \"*@domain\" is only allowed in local.mailboxes")
            return nil
        }
        guard let mailbox = AddressSyntax.mailbox(text) else {
            report(path, "expected an address like \"user@example.com\", got \(quoted)")
            return nil
        }
        return mailbox
    }

    private mutating func mailboxPattern(_ node: TOMLNode, at path: ConfigKeyPath, _ rules: SourceRules) -> MailboxPattern? {
        guard let text = string(node, at: path) else { return nil }
        guard let pattern = AddressSyntax.mailboxPattern(text) else {
            report(path, "expected an address like \"user@example.com\" or \"*@example.com\", got \(node.quoted)")
            return nil
        }
        let domain = switch pattern {
        case .mailbox(let mailbox): mailbox.domain
        case .anyLocalPart(let domain): domain
        }
        if let domains = rules.localDomains, !domains.contains(domain.normalized) {
            report(path, "\(node.quoted) is not in a local domain")
            return nil
        }
        return pattern
    }

    private mutating func domain(_ node: TOMLNode, at path: ConfigKeyPath) -> Domain? {
        guard let text = string(node, at: path) else { return nil }
        guard let domain = AddressSyntax.domain(text) else {
            report(path, "expected a domain like \"example.com\", got \(node.quoted)")
            return nil
        }
        return domain
    }
}
