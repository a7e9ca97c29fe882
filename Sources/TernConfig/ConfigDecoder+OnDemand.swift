import TernPolicy
import TernSMTPCore

extension ConfigDecoder {
    /// `[etrn]` (`[[etrn.node]]`: `domain`, `clients`) and `[odmr]` (`domains`: domain →
    /// account): the hold domains. `localDomains` are `[local]`'s, nil when `[local]` is bad; a
    /// hold domain can't be one of them.
    mutating func decodeHoldDomains(
        etrn: TOMLNode?, odmr: TOMLNode?, localDomains: [Domain]?
    ) -> HoldDomains {
        var nodes: [(HoldDomains.Node, ConfigKeyPath)] = []
        if let etrn { nodes += decodeETRNNodes(etrn, at: ConfigKeyPath.root.appending("etrn")) }
        if let odmr { nodes += decodeODMRDomains(odmr, at: ConfigKeyPath.root.appending("odmr")) }
        let local = Set((localDomains ?? []).map(\.normalized))
        for (node, path) in nodes where local.contains(node.name) {
            report(path, "\(TOMLNode.quote(node.name)) is a local domain (local.domains); its mail can't be held")
        }
        return HoldDomains(nodes.map(\.0))
    }

    private mutating func decodeETRNNodes(_ node: TOMLNode, at path: ConfigKeyPath) -> [(HoldDomains.Node, ConfigKeyPath)] {
        guard let table = table(node, at: path) else { return [] }
        checkKeys(table, at: path, allowed: ["node"])
        guard let list = table["node"] else { return [] }
        let listPath = path.appending("node")
        guard case .array(let elements) = list else {
            report(listPath, "expected an array of tables like [[etrn.node]], got \(list.quoted)")
            return []
        }
        var nodes: [(HoldDomains.Node, ConfigKeyPath)] = []
        var seen: Set<String> = []
        for (index, element) in elements.enumerated() {
            let elementPath = listPath.appending(index: index)
            guard let entry = self.table(element, at: elementPath) else { continue }
            checkKeys(entry, at: elementPath, allowed: ["domain", "clients"])
            let domainPath = elementPath.appending("domain")
            guard let domainNode = entry["domain"] else {
                report(domainPath, "missing required key")
                continue
            }
            guard let name = holdDomainName(domainNode, at: domainPath) else { continue }
            var access = HoldDomains.ETRNAccess.anyClient
            if let clients = entry["clients"] {
                guard let networks = array(clients, at: elementPath.appending("clients"), of: "networks", {
                    $0.network($1, at: $2)
                }) else { continue }
                access = .networks(networks)
            }
            guard seen.insert(name).inserted else {
                report(domainPath, "\(TOMLNode.quote(name)) is already an etrn.node (domains compare case-insensitively)")
                continue
            }
            nodes.append((HoldDomains.Node(name: name, etrn: access), domainPath))
        }
        return nodes
    }

    private mutating func decodeODMRDomains(_ node: TOMLNode, at path: ConfigKeyPath) -> [(HoldDomains.Node, ConfigKeyPath)] {
        guard let table = table(node, at: path) else { return [] }
        checkKeys(table, at: path, allowed: ["domains"])
        guard let domainsNode = table["domains"] else { return [] }
        let domainsPath = path.appending("domains")
        guard let domains = self.table(domainsNode, at: domainsPath) else { return [] }
        var nodes: [(HoldDomains.Node, ConfigKeyPath)] = []
        var seen: [String: String] = [:]
        for entry in entriesInFileOrder(domains, at: domainsPath) {
            let keyPath = domainsPath.appending(entry.key)
            if case .table = entry.value {
                report(keyPath, "expected an account name, got a table (write a domain key in quotes: \"node.example.net\" = \"account\")")
                continue
            }
            guard AddressSyntax.isHostName(entry.key) else {
                report(keyPath, "expected a domain like \"node.example.net\", got \(TOMLNode.quote(entry.key))")
                continue
            }
            guard let account = string(entry.value, at: keyPath) else { continue }
            guard !account.isEmpty, account.count <= 64,
                  account.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
                report(keyPath, "expected an account name (as `tern user add` takes it), got \(entry.value.quoted)")
                continue
            }
            let name = entry.key.lowercased()
            if let earlier = seen.updateValue(entry.key, forKey: name) {
                report(keyPath, "same domain as \(TOMLNode.quote(earlier)) (domains compare case-insensitively)")
                continue
            }
            nodes.append((HoldDomains.Node(name: name, odmrAccount: account.lowercased()), keyPath))
        }
        return nodes
    }

    /// A hold domain: a host name, lower-cased.
    private mutating func holdDomainName(_ node: TOMLNode, at path: ConfigKeyPath) -> String? {
        guard let text = string(node, at: path) else { return nil }
        guard AddressSyntax.isHostName(text) else {
            report(path, "expected a domain like \"node.example.net\", got \(node.quoted)")
            return nil
        }
        return text.lowercased()
    }
}
