extension ConfigDecoder {
    /// `[checkpoint]`, each missing key at its default.
    mutating func decodeCheckpoint(_ node: TOMLNode?, at path: ConfigKeyPath) -> TernConfiguration.Checkpoint {
        var checkpoint = TernConfiguration.Checkpoint()
        guard let node, let table = table(node, at: path) else { return checkpoint }
        checkKeys(table, at: path, allowed: ["keep_partial", "sync_every"])
        if let value = table["keep_partial"], let duration = duration(value, at: path.appending("keep_partial")) {
            checkpoint.keepPartial = duration
        }
        if let value = table["sync_every"], let size = size(value, at: path.appending("sync_every"), allowZero: false) {
            checkpoint.syncEvery = size
        }
        return checkpoint
    }
}
