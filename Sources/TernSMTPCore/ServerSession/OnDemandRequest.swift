/// What an `ETRN` asks for (RFC 1985 §5, docs/behaviour.md §14).
public struct ETRNRequest: Sendable, Hashable {
    /// Which queues the node name covers.
    public enum Scope: Sendable, Hashable {
        /// `ETRN node`: the mail held for that node.
        case node
        /// `ETRN @node`: the node and every hold domain below it.
        case subdomains
        /// `ETRN #node`: the named queue (queue names are hold-domain names).
        case queue
    }

    /// The node (a domain), as the client wrote it.
    public var node: Domain
    public var scope: Scope

    public init(node: Domain, scope: Scope) {
        self.node = node
        self.scope = scope
    }

    /// Parses the argument of ETRN: `[@|#]node`; nil when it is not one.
    public init?(argument: String) {
        var text = Substring(argument)
        switch text.first {
        case "@": scope = .subdomains; text = text.dropFirst()
        case "#": scope = .queue; text = text.dropFirst()
        default: scope = .node
        }
        guard !text.isEmpty, !text.contains(" "), let domain = try? AddressParser.domain(text),
              case .name = domain else { return nil }
        node = domain
    }
}

/// The domains an `ATRN` names (RFC 2645 §4.1, docs/behaviour.md §15).
public enum ATRNRequest: Sendable, Hashable {
    /// `ATRN`: every hold domain the authenticated account owns.
    case allOwned
    /// `ATRN a.example.net,b.example.net`: these domains.
    case domains([Domain])

    /// Parses the argument of ATRN: empty, or domains separated by commas (spaces after a comma
    /// allowed); nil when it is not that.
    public init?(argument: String) {
        guard !argument.isEmpty else {
            self = .allOwned
            return
        }
        var domains: [Domain] = []
        for part in argument.split(separator: ",", omittingEmptySubsequences: false) {
            let name = part.drop { $0 == " " }
            guard !name.isEmpty, !name.contains(" "), let domain = try? AddressParser.domain(name),
                  case .name = domain else { return nil }
            domains.append(domain)
        }
        self = .domains(domains)
    }
}
