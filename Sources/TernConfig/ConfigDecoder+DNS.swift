import TernPolicy

extension ConfigDecoder {
    /// `[dns] servers`: IP addresses and ports, since the resolver cannot look up its own
    /// servers; empty (the system resolver) when absent.
    mutating func decodeDNS(_ node: TOMLNode?, at path: ConfigKeyPath) -> [NameServer] {
        guard let node, let table = table(node, at: path) else { return [] }
        checkKeys(table, at: path, allowed: ["servers"])
        guard let node = table["servers"] else { return [] }
        return array(node, at: path.appending("servers"), of: "servers") { decoder, node, path in
            guard let text = decoder.string(node, at: path),
                  let (address, port) = decoder.hostAndPort(
                    text, quoted: node.quoted, form: "IP:PORT", addressesOnly: true, at: path)
            else { return nil }
            return NameServer(address: address, port: port)
        } ?? []
    }
}
