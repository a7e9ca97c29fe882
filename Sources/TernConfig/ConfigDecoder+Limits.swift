extension ConfigDecoder {
    /// `[limits]`, each missing key at its default.
    mutating func decodeLimits(_ node: TOMLNode?, at path: ConfigKeyPath) -> TernConfiguration.Limits {
        var limits = TernConfiguration.Limits()
        guard let node, let table = table(node, at: path) else { return limits }
        checkKeys(table, at: path, allowed: [
            "message_size", "recipients", "connections", "connections_per_client", "exempt_networks",
            "idle_timeout", "stress_idle_timeout", "bad_commands", "auth_failures", "min_free_disk",
        ])
        for entry in table.entries {
            let (key, value) = (entry.key, entry.value)
            let keyPath = path.appending(key)
            switch key {
            case "message_size":
                if let size = size(value, at: keyPath, allowZero: false) { limits.messageSize = size }
            case "recipients":
                if let count = positiveInteger(value, at: keyPath) { limits.recipients = count }
            case "connections":
                if let count = positiveInteger(value, at: keyPath) { limits.connections = count }
            case "connections_per_client":
                if let count = positiveInteger(value, at: keyPath) { limits.connectionsPerClient = count }
            case "exempt_networks":
                if let networks = array(value, at: keyPath, of: "networks", { $0.network($1, at: $2) }) {
                    limits.exemptNetworks = networks
                }
            case "idle_timeout":
                if let duration = duration(value, at: keyPath) { limits.idleTimeout = duration }
            case "stress_idle_timeout":
                if let duration = duration(value, at: keyPath) { limits.stressIdleTimeout = duration }
            case "bad_commands":
                if let count = positiveInteger(value, at: keyPath) { limits.badCommands = count }
            case "auth_failures":
                if let count = positiveInteger(value, at: keyPath) { limits.authFailures = count }
            case "min_free_disk":
                if let size = size(value, at: keyPath, allowZero: true) { limits.minFreeDisk = size }
            default:
                break
            }
        }
        return limits
    }
}
