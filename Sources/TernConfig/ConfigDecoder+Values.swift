import TernPolicy
import TernSMTPCore

/// Typed reads: each returns nil, after reporting why, when the value is not what the key takes.
extension ConfigDecoder {
    mutating func table(_ node: TOMLNode, at path: ConfigKeyPath) -> TOMLTableNode? {
        if case .table(let table) = node { return table }
        report(path, "expected a table, got \(node.quoted)")
        return nil
    }

    mutating func string(_ node: TOMLNode, at path: ConfigKeyPath) -> String? {
        if case .string(let text) = node { return text }
        report(path, "expected a string, got \(node.quoted)")
        return nil
    }

    mutating func bool(_ node: TOMLNode, at path: ConfigKeyPath) -> Bool? {
        if case .boolean(let value) = node { return value }
        report(path, "expected true or false, got \(node.quoted)")
        return nil
    }

    /// An integer of at least 1.
    mutating func positiveInteger(_ node: TOMLNode, at path: ConfigKeyPath) -> Int? {
        guard case .integer(let value) = node else {
            report(path, "expected an integer, got \(node.quoted)")
            return nil
        }
        guard value > 0 else {
            report(path, "must be more than zero, got \(value)")
            return nil
        }
        return value
    }

    /// A size in octets (``SizeSyntax``); zero only when `allowZero`.
    mutating func size(_ node: TOMLNode, at path: ConfigKeyPath, allowZero: Bool) -> Int? {
        let octets: Int? = switch node {
        case .integer(let value) where value >= 0: value
        case .string(let text): SizeSyntax.octets(text)
        default: nil
        }
        guard let octets else {
            report(path, "expected a size like \"35MiB\", got \(node.quoted)")
            return nil
        }
        guard allowZero || octets > 0 else {
            report(path, "must be more than zero, got \(node.quoted)")
            return nil
        }
        return octets
    }

    /// A duration longer than zero (``DurationSyntax``).
    mutating func duration(_ node: TOMLNode, at path: ConfigKeyPath) -> Duration? {
        guard case .string(let text) = node, let duration = DurationSyntax.duration(text) else {
            report(path, "expected a duration like \"5m\", got \(node.quoted)")
            return nil
        }
        guard duration > .zero else {
            report(path, "must be more than zero, got \(node.quoted)")
            return nil
        }
        return duration
    }

    /// One of `choices`, by its raw value.
    mutating func choice<Choice: RawRepresentable & CaseIterable>(
        _ node: TOMLNode, at path: ConfigKeyPath, of _: Choice.Type
    ) -> Choice? where Choice.RawValue == String {
        if case .string(let text) = node, let choice = Choice(rawValue: text) { return choice }
        let names = Choice.allCases.map { TOMLNode.quote($0.rawValue) }
        let expected = names.count == 2 ? names.joined(separator: " or ") : "one of " + names.joined(separator: ", ")
        report(path, "expected \(expected), got \(node.quoted)")
        return nil
    }

    /// An array, each element read by `element` at `path[index]`; nil when the value is not
    /// an array or any element is bad.
    mutating func array<Element>(
        _ node: TOMLNode, at path: ConfigKeyPath, of description: String,
        _ element: (inout ConfigDecoder, TOMLNode, ConfigKeyPath) -> Element?
    ) -> [Element]? {
        guard case .array(let nodes) = node else {
            report(path, "expected an array of \(description), got \(node.quoted)")
            return nil
        }
        var elements: [Element] = []
        var allRead = true
        for (index, node) in nodes.enumerated() {
            if let value = element(&self, node, path.appending(index: index)) {
                elements.append(value)
            } else {
                allRead = false
            }
        }
        return allRead ? elements : nil
    }

    /// A host name such as `mx.example.com`.
    mutating func hostName(_ node: TOMLNode, at path: ConfigKeyPath) -> String? {
        guard let text = string(node, at: path) else { return nil }
        guard AddressSyntax.isHostName(text) else {
            report(path, "expected a host name like \"mx.example.com\", got \(node.quoted)")
            return nil
        }
        return text
    }

    /// A file system path, made absolute against the config file's directory.
    mutating func path(_ node: TOMLNode, at path: ConfigKeyPath) -> String? {
        guard let text = string(node, at: path) else { return nil }
        guard !text.isEmpty, !text.contains("\0") else {
            report(path, "expected a path, got \(node.quoted)")
            return nil
        }
        return PathResolver.absolute(text, relativeTo: baseDirectory)
    }

    /// A network such as `192.0.2.0/24`.
    mutating func network(_ node: TOMLNode, at path: ConfigKeyPath) -> Network? {
        guard let text = string(node, at: path) else { return nil }
        guard let network = Network(text) else {
            report(path, "expected a network like \"192.0.2.0/24\" or \"::1/128\", got \(node.quoted)")
            return nil
        }
        return network
    }
}
