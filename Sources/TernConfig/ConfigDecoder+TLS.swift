import Foundation

extension ConfigDecoder {
    /// `[tls]`: nil when absent or bad. Both files must exist and be readable now, so a typo
    /// stops `tern serve` before it binds anything rather than at the first STARTTLS.
    mutating func decodeTLS(_ node: TOMLNode?, at path: ConfigKeyPath) -> TernConfiguration.TLS? {
        guard let node, let table = table(node, at: path) else { return nil }
        let errorCount = errors.count
        checkKeys(table, at: path, allowed: ["certificate", "private_key", "min_version"])
        let certificate = readableFile(table["certificate"], at: path.appending("certificate"))
        let privateKey = readableFile(table["private_key"], at: path.appending("private_key"))
        let minimumVersion = table["min_version"].flatMap {
            choice($0, at: path.appending("min_version"), of: TernConfiguration.TLSVersion.self)
        }
        guard errors.count == errorCount, let certificate, let privateKey else { return nil }
        return TernConfiguration.TLS(
            certificatePath: certificate, privateKeyPath: privateKey, minimumVersion: minimumVersion ?? .v1_2)
    }

    /// A required path to a regular file this process can read, made absolute; for a
    /// submission only the path.
    private mutating func readableFile(_ node: TOMLNode?, at keyPath: ConfigKeyPath) -> String? {
        guard let node else {
            report(keyPath, "missing required key")
            return nil
        }
        guard let file = path(node, at: keyPath) else { return nil }
        guard reader == .server else { return file }
        var isDirectory: ObjCBool = false
        let reason: String? = if !FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) {
            "no such file"
        } else if isDirectory.boolValue {
            "a directory, not a file"
        } else if !FileManager.default.isReadableFile(atPath: file) {
            "permission denied"
        } else {
            nil
        }
        if let reason {
            report(keyPath, "cannot read \(node.quoted): \(reason)")
            return nil
        }
        return file
    }
}
