extension ConfigDecoder {
    /// `[auth]`, each missing key at its default.
    mutating func decodeAuth(_ node: TOMLNode?, at path: ConfigKeyPath) -> TernConfiguration.Auth {
        var auth = TernConfiguration.Auth()
        guard let node, let table = table(node, at: path) else { return auth }
        checkKeys(table, at: path, allowed: ["mechanisms", "require_tls"])
        if let node = table["mechanisms"], let mechanisms = mechanisms(node, at: path.appending("mechanisms")) {
            auth.mechanisms = mechanisms
        }
        if let node = table["require_tls"], let requireTLS = bool(node, at: path.appending("require_tls")) {
            auth.requireTLS = requireTLS
        }
        return auth
    }

    /// A non-empty list of supported SASL mechanism names, case-insensitive, each once;
    /// upper-cased.
    private mutating func mechanisms(_ node: TOMLNode, at path: ConfigKeyPath) -> [String]? {
        guard let names = array(node, at: path, of: "mechanisms", { $0.mechanism($1, at: $2) }) else { return nil }
        guard !names.isEmpty else {
            report(path, "at least one mechanism is required")
            return nil
        }
        var seen: Set<String> = []
        var duplicate = false
        for (index, name) in names.enumerated() where !seen.insert(name).inserted {
            report(path.appending(index: index), "\(TOMLNode.quote(name)) is listed twice")
            duplicate = true
        }
        return duplicate ? nil : names
    }

    private mutating func mechanism(_ node: TOMLNode, at path: ConfigKeyPath) -> String? {
        let supported = TernConfiguration.Auth.supportedMechanisms
        // ASCII only: Unicode upper-casing would map "plaın" (dotless i) to "PLAIN".
        if case .string(let text) = node, text.utf8.allSatisfy({ $0 < 0x80 }), supported.contains(text.uppercased()) {
            return text.uppercased()
        }
        report(path, "expected one of \(supported.map(TOMLNode.quote).joined(separator: ", ")), got \(node.quoted)")
        return nil
    }
}
