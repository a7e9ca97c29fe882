package import TernSMTPCore

/// The domains whose mail Tern holds until their node asks for it: by ETRN (`[[etrn.node]]`,
/// RFC 1985) or by ATRN on an `odmr` listener (`[odmr] domains`, RFC 2645). docs/behaviour.md §14, §15.
///
/// Mail for a hold domain is taken from anyone on `mx` and kept in the queue; the scheduler
/// never sends it by itself.
package struct HoldDomains: Sendable, Hashable {
    /// Who may start delivery of a domain with ETRN.
    package enum ETRNAccess: Sendable, Hashable {
        /// Any client: the mail still goes only to the node's own host.
        case anyClient
        /// Clients in these networks; others get 459.
        case networks([Network])
    }

    /// One hold domain.
    package struct Node: Sendable, Hashable {
        /// The domain, lower-cased.
        package var name: String
        /// Who may ETRN it; nil when it is not an `[[etrn.node]]` (ETRN gets 459).
        package var etrn: ETRNAccess?
        /// The account that may fetch it with ATRN; nil when it is not an `[odmr]` domain.
        package var odmrAccount: String?

        package init(name: String, etrn: ETRNAccess? = nil, odmrAccount: String? = nil) {
            self.name = name.lowercased()
            self.etrn = etrn
            self.odmrAccount = odmrAccount
        }
    }

    /// The nodes by lower-cased name.
    package let nodes: [String: Node]

    /// The hold domains; a name given twice keeps the later entry's settings merged in.
    package init(_ nodes: [Node] = []) {
        var byName: [String: Node] = [:]
        for node in nodes {
            var merged = byName[node.name] ?? Node(name: node.name)
            merged.etrn = node.etrn ?? merged.etrn
            merged.odmrAccount = node.odmrAccount ?? merged.odmrAccount
            byName[node.name] = merged
        }
        self.nodes = byName
    }

    /// The lower-cased names of every hold domain.
    package var names: Set<String> { Set(nodes.keys) }

    /// Whether mail for `domain` is held.
    package func isHeld(_ domain: Domain) -> Bool {
        nodes[domain.normalized] != nil
    }

    /// The hold domains `ETRN` with `request` covers for a client at `clientAddress`, or why
    /// none (the text of the 459).
    ///
    /// `node` and `#node` name one domain; `@node` names it and every hold domain below it.
    /// Only nodes the client may release count.
    package func etrnNodes(for request: ETRNRequest, clientAddress: String) -> Result<[String], ETRNRefusal> {
        let wanted = request.node.normalized
        let covered: [Node]
        switch request.scope {
        case .node, .queue: covered = nodes[wanted].map { [$0] } ?? []
        case .subdomains: covered = nodes.values.filter { $0.name == wanted || $0.name.hasSuffix("." + wanted) }
        }
        let etrnNodes = covered.filter { $0.etrn != nil }
        guard !etrnNodes.isEmpty else { return .failure(.notHeld) }
        let allowed = etrnNodes.filter { node in
            switch node.etrn {
            case .anyClient: true
            case .networks(let networks): networks.contains { $0.contains(address: clientAddress) }
            case nil: false
            }
        }
        guard !allowed.isEmpty else { return .failure(.clientNotAllowed) }
        return .success(allowed.map(\.name).sorted())
    }

    /// The domains ATRN with `request` covers for `account`, or nil when it names a domain
    /// the account does not own (450). `.allOwned` gives every domain the account owns.
    package func atrnDomains(for request: ATRNRequest, account: String) -> [String]? {
        switch request {
        case .allOwned:
            return nodes.values.filter { $0.odmrAccount == account }.map(\.name).sorted()
        case .domains(let domains):
            let names = domains.map(\.normalized)
            guard names.allSatisfy({ nodes[$0]?.odmrAccount == account }) else { return nil }
            return Array(Set(names)).sorted()
        }
    }
}

/// Why ETRN names no node the client may release (docs/behaviour.md §14, 459).
package enum ETRNRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// The node is not an `[[etrn.node]]` domain.
    case notHeld
    /// The client's address is not in the node's `clients`.
    case clientNotAllowed

    package var description: String {
        switch self {
        case .notHeld: "not an ETRN node of this server"
        case .clientNotAllowed: "client not authorized for this node"
        }
    }
}
