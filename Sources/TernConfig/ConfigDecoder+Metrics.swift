import TernSMTPCore

extension ConfigDecoder {
    /// `[metrics]`: the address of the HTTP listener for `/metrics` and `/health`; nil (off)
    /// when the table or its `address` is absent.
    mutating func decodeMetrics(_ node: TOMLNode?, at path: ConfigKeyPath) -> TernConfiguration.Metrics? {
        guard let node, let table = table(node, at: path) else { return nil }
        checkKeys(table, at: path, allowed: ["address"])
        let addressPath = path.appending("address")
        guard let value = table["address"], let text = string(value, at: addressPath) else { return nil }
        guard let (host, port) = ListenAddressSyntax.parse(text) else {
            report(addressPath, "expected an address like \"127.0.0.1:9090\" or \"[::1]:9090\", got \(value.quoted)")
            return nil
        }
        return TernConfiguration.Metrics(host: host.description, port: port)
    }
}
