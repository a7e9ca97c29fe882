import TernPolicy

extension ConfigDecoder {
    /// `[delivery]`, each missing key at its default; no smarthost and no routes, which come
    /// from `[relay]` and `[routes]`.
    mutating func decodeDelivery(_ node: TOMLNode?, at path: ConfigKeyPath) -> DeliverySettings {
        var settings = DeliverySettings()
        guard let node, let table = table(node, at: path) else { return settings }
        checkKeys(table, at: path, allowed: [
            "smtp_port", "retry", "max_lifetime", "warn_after", "hold_lifetime", "concurrency", "per_destination",
            "require_tls",
        ])
        for entry in table.entries {
            let (key, value) = (entry.key, entry.value)
            let keyPath = path.appending(key)
            switch key {
            case "smtp_port":
                if let port = port(value, at: keyPath) { settings.smtpPort = port }
            case "retry":
                if let delays = retryDelays(value, at: keyPath) { settings.retry.delays = delays }
            case "max_lifetime":
                if let duration = duration(value, at: keyPath) { settings.retry.maximumAge = duration }
            case "warn_after":
                if let duration = duration(value, at: keyPath) { settings.warnAfter = duration }
            case "hold_lifetime":
                if let duration = duration(value, at: keyPath) { settings.holdLifetime = duration }
            case "concurrency":
                if let count = positiveInteger(value, at: keyPath) { settings.concurrency = count }
            case "per_destination":
                if let count = positiveInteger(value, at: keyPath) { settings.perDestination = count }
            case "require_tls":
                if let requireTLS = bool(value, at: keyPath) { settings.requireTLS = requireTLS }
            default:
                break
            }
        }
        return settings
    }

    /// A TCP port, 1–65535.
    private mutating func port(_ node: TOMLNode, at path: ConfigKeyPath) -> Int? {
        if case .integer(let value) = node, (1...65_535).contains(value) { return value }
        report(path, "expected a port from 1 to 65535, got \(node.quoted)")
        return nil
    }

    /// A non-empty list of durations.
    private mutating func retryDelays(_ node: TOMLNode, at path: ConfigKeyPath) -> [Duration]? {
        guard let delays = array(node, at: path, of: "durations", { $0.duration($1, at: $2) }) else { return nil }
        guard !delays.isEmpty else {
            report(path, "at least one duration is required")
            return nil
        }
        return delays
    }
}
