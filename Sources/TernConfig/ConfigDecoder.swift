import TernPolicy
import TernSMTPCore

/// Turns a parsed `tern.toml` into a ``TernConfiguration``, collecting every error with the line
/// and dotted key it concerns.
struct ConfigDecoder {
    /// The errors found so far, in the order found.
    private(set) var errors: [ConfigError] = []

    private let fileName: String
    private let lineIndex: SourceLineIndex
    /// The absolute directory relative paths are resolved against.
    let baseDirectory: String
    /// The host name used when the file sets none.
    let machineHostname: String
    /// Who reads the file: whether the server's secrets are opened.
    let reader: ConfigLoader.Reader

    init(
        fileName: String, lineIndex: SourceLineIndex, baseDirectory: String, machineHostname: String,
        reader: ConfigLoader.Reader = .server
    ) {
        self.fileName = fileName
        self.lineIndex = lineIndex
        self.baseDirectory = baseDirectory
        self.machineHostname = machineHostname
        self.reader = reader
    }

    /// The errors by line; errors on one line keep the order they were found in.
    var sortedErrors: [ConfigError] {
        errors.enumerated()
            .sorted { ($0.element.line ?? 0, $0.offset) < ($1.element.line ?? 0, $1.offset) }
            .map(\.element)
    }

    /// The configuration, or nil when an error was reported.
    mutating func decode(_ root: TOMLTableNode) -> TernConfiguration? {
        checkKeys(root, at: .root, allowed: [
            "hostname", "data_dir", "accept_mail", "listen", "tls", "limits", "local", "auth", "log", "relay",
            "routes", "dns", "delivery", "etrn", "odmr", "checkpoint", "spool", "metrics",
        ])
        let hostname = root["hostname"].flatMap { hostName($0, at: ConfigKeyPath.root.appending("hostname")) }
            ?? machineHostname
        let dataDirectory = root["data_dir"].flatMap { path($0, at: ConfigKeyPath.root.appending("data_dir")) }
            ?? PathResolver.absolute("./tern-data", relativeTo: baseDirectory)
        let acceptMail = root["accept_mail"].flatMap { bool($0, at: ConfigKeyPath.root.appending("accept_mail")) }
        let listeners = decodeListeners(
            root["listen"], at: ConfigKeyPath.root.appending("listen"), hasTLS: root["tls"] != nil)
        let tls = decodeTLS(root["tls"], at: ConfigKeyPath.root.appending("tls"))
        let limits = decodeLimits(root["limits"], at: ConfigKeyPath.root.appending("limits"))
        let local = decodeLocal(root["local"], at: ConfigKeyPath.root.appending("local"), hostname: hostname)
        let auth = decodeAuth(root["auth"], at: ConfigKeyPath.root.appending("auth"))
        let log = decodeLog(root["log"], at: ConfigKeyPath.root.appending("log"))
        let relay = decodeRelay(root["relay"], at: ConfigKeyPath.root.appending("relay"))
        let routes = decodeRoutes(root["routes"], at: ConfigKeyPath.root.appending("routes"), localDomains: local?.domains)
        let dnsServers = decodeDNS(root["dns"], at: ConfigKeyPath.root.appending("dns"))
        var delivery = decodeDelivery(root["delivery"], at: ConfigKeyPath.root.appending("delivery"))
        let checkpoint = decodeCheckpoint(root["checkpoint"], at: ConfigKeyPath.root.appending("checkpoint"))
        let spool = decodeSpool(root["spool"], at: ConfigKeyPath.root.appending("spool"))
        let metrics = decodeMetrics(root["metrics"], at: ConfigKeyPath.root.appending("metrics"))
        let holdDomains = decodeHoldDomains(etrn: root["etrn"], odmr: root["odmr"], localDomains: local?.domains)
        guard errors.isEmpty, var local else { return nil }
        local.holdDomains = holdDomains
        var configuration = TernConfiguration(hostname: hostname, dataDirectory: dataDirectory, local: local)
        if let acceptMail { configuration.acceptMail = acceptMail }
        if let listeners { configuration.listeners = listeners }
        configuration.tls = tls
        configuration.limits = limits
        configuration.auth = auth
        configuration.log = log
        delivery.smarthost = relay.smarthost
        delivery.smarthostLogin = relay.login
        delivery.routes = routes
        delivery.holdDomains = holdDomains.names
        configuration.relayNetworks = relay.networks
        configuration.delivery = delivery
        configuration.dnsServers = dnsServers
        configuration.checkpoint = checkpoint
        configuration.spool = spool
        configuration.metrics = metrics
        return configuration
    }

    /// Records an error about the value at `path`.
    mutating func report(_ path: ConfigKeyPath, _ message: String) {
        let line = lineIndex.line(for: path) ?? 1
        errors.append(ConfigError(file: fileName, line: line, key: path.description, message: message))
    }

    /// The entries of `table` in the order of their lines in the file (TOMLKit gives them
    /// sorted by key), so that of two clashing keys the later one is reported.
    func entriesInFileOrder(_ table: TOMLTableNode, at path: ConfigKeyPath) -> [TOMLTableNode.Entry] {
        table.entries.enumerated()
            .map { (line: lineIndex.line(for: path.appending($0.element.key)) ?? 0, offset: $0.offset, entry: $0.element) }
            .sorted { ($0.line, $0.offset) < ($1.line, $1.offset) }
            .map(\.entry)
    }

    /// Reports every key of `table` that is not in `allowed` as unknown.
    mutating func checkKeys(_ table: TOMLTableNode, at path: ConfigKeyPath, allowed: Set<String>) {
        for entry in table.entries where !allowed.contains(entry.key) {
            report(path.appending(entry.key), "unknown key")
        }
    }
}
