import TernSMTPCore
import TernPolicy

extension ConfigDecoder {
    /// `[[listen]]`: nil when absent (the default listener applies) or bad. `hasTLS`: whether
    /// the file has a `[tls]` table, which `submission` and `smtps` listeners need.
    mutating func decodeListeners(
        _ node: TOMLNode?, at path: ConfigKeyPath, hasTLS: Bool
    ) -> [TernConfiguration.Listener]? {
        guard let node else { return nil }
        guard case .array(let elements) = node else {
            report(path, "expected an array of tables like [[listen]], got \(node.quoted)")
            return nil
        }
        guard !elements.isEmpty else {
            report(path, "at least one listener is required")
            return nil
        }
        var listeners: [TernConfiguration.Listener] = []
        var bound: [(host: IPAddress, port: Int, text: String, path: ConfigKeyPath)] = []
        for (index, element) in elements.enumerated() {
            let elementPath = path.appending(index: index)
            guard let table = table(element, at: elementPath) else { continue }
            checkKeys(table, at: elementPath, allowed: ["role", "address"])
            let role = table["role"].map { listenerRole($0, at: elementPath.appending("role"), hasTLS: hasTLS) } ?? .mx
            let addressPath = elementPath.appending("address")
            guard let addressNode = table["address"] else {
                report(addressPath, "missing required key")
                continue
            }
            guard let text = string(addressNode, at: addressPath) else { continue }
            guard let (host, port) = ListenAddressSyntax.parse(text) else {
                report(
                    addressPath, "expected an address like \"127.0.0.1:2525\" or \"[::1]:2525\", got \(addressNode.quoted)")
                continue
            }
            if let other = bound.first(where: { Self.conflict($0.host, $0.port, host, port) }) {
                report(addressPath, "conflicts with \(other.path) \(TOMLNode.quote(other.text))")
                continue
            }
            bound.append((host, port, text, addressPath))
            if let role { listeners.append(TernConfiguration.Listener(role: role, host: host.description, port: port)) }
        }
        return listeners
    }

    private mutating func listenerRole(_ node: TOMLNode, at path: ConfigKeyPath, hasTLS: Bool) -> ListenerRole? {
        guard let text = string(node, at: path) else { return nil }
        if let role = ListenerRole(rawValue: text) {
            guard hasTLS || role == .mx || role == .odmr else {
                report(path, "role \(TOMLNode.quote(text)) needs [tls]")
                return nil
            }
            return role
        }
        report(path, "expected one of \"mx\", \"submission\", \"smtps\", \"odmr\", got \(node.quoted)")
        return nil
    }

    /// Whether two sockets cannot both be bound: the same address and port, or the same port
    /// with the unspecified address of the same family.
    private static func conflict(_ first: IPAddress, _ firstPort: Int, _ second: IPAddress, _ secondPort: Int) -> Bool {
        guard firstPort == secondPort, first.isIPv4 == second.isIPv4 else { return false }
        return first == second || first.isUnspecified || second.isUnspecified
    }
}
