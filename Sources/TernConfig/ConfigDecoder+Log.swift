extension ConfigDecoder {
    /// `[log]`, each missing key at its default.
    mutating func decodeLog(_ node: TOMLNode?, at path: ConfigKeyPath) -> TernConfiguration.Log {
        var log = TernConfiguration.Log()
        guard let node, let table = table(node, at: path) else { return log }
        checkKeys(table, at: path, allowed: ["level", "format"])
        if let node = table["level"], let level = choice(node, at: path.appending("level"), of: TernConfiguration.LogLevel.self) {
            log.level = level
        }
        if let node = table["format"], let format = choice(node, at: path.appending("format"), of: TernConfiguration.LogFormat.self) {
            log.format = format
        }
        return log
    }
}
