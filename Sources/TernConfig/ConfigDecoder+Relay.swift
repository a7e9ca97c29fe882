import TernDelivery
import TernPolicy

extension ConfigDecoder {
    /// `[relay]`: the networks that may relay without AUTH (none by default) and the smarthost
    /// (none by default).
    mutating func decodeRelay(_ node: TOMLNode?, at path: ConfigKeyPath) -> (networks: [Network], smarthost: NextHop?) {
        guard let node, let table = table(node, at: path) else { return ([], nil) }
        checkKeys(table, at: path, allowed: ["networks", "smarthost"])
        var networks: [Network] = []
        if let node = table["networks"],
           let listed = array(node, at: path.appending("networks"), of: "networks", { $0.network($1, at: $2) }) {
            networks = listed
        }
        let hop = table["smarthost"].flatMap { smarthost($0, at: path.appending("smarthost")) }
        return (networks, hop)
    }

    /// `"host:port"`: a host name or IP address (IPv6 in brackets) and a required port.
    private mutating func smarthost(_ node: TOMLNode, at path: ConfigKeyPath) -> NextHop? {
        guard let text = string(node, at: path) else { return nil }
        guard let (host, port) = hostAndPort(text, quoted: node.quoted, form: "HOST:PORT", at: path) else { return nil }
        return .smtp(host: host, port: port)
    }

    /// The host and port of `text`, which is written as `form` (`"HOST:PORT"`,
    /// `"smtp:HOST:PORT"`, ...); `quoted` is the whole value as the error shows it.
    mutating func hostAndPort(
        _ text: some StringProtocol, quoted: String, form: String, addressesOnly: Bool = false, at path: ConfigKeyPath
    ) -> (host: String, port: Int)? {
        switch HostPortSyntax.parse(text, addressesOnly: addressesOnly) {
        case .success(let hostAndPort):
            return hostAndPort
        case .failure(.badHost):
            let host = addressesOnly ? "an IP address" : "a host name or IP address"
            report(path, "expected \(host) (IPv6 in brackets) in \(TOMLNode.quote(form)), got \(quoted)")
        case .failure(.missingPort):
            report(path, "missing port: expected \(TOMLNode.quote(form)), got \(quoted)")
        case .failure(.badPort):
            report(path, "expected a port from 1 to 65535, got \(quoted)")
        }
        return nil
    }
}
