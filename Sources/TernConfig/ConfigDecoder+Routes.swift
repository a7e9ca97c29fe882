import TernPolicy
import TernSMTPCore

extension ConfigDecoder {
    /// `[routes]`: domain → next hop. `localDomains` are the domains of `[local]`, nil when
    /// `[local]` is itself bad; a route other than `maildir` for one of them is a contradiction.
    mutating func decodeRoutes(_ node: TOMLNode?, at path: ConfigKeyPath, localDomains: [Domain]?) -> RouteTable {
        guard let node, let table = table(node, at: path) else { return RouteTable() }
        var routes: [(key: String, hop: NextHop, path: ConfigKeyPath)] = []
        var seen: [String: String] = [:]
        for entry in entriesInFileOrder(table, at: path) {
            let keyPath = path.appending(entry.key)
            let name = routeKey(entry.key, at: keyPath)
            let hop = nextHop(entry.value, at: keyPath)
            guard let name, let hop else { continue }
            if let earlier = seen.updateValue(entry.key, forKey: name) {
                report(keyPath, "same domain as \(TOMLNode.quote(earlier)) (domains compare case-insensitively)")
                continue
            }
            routes.append((name, hop, keyPath))
        }
        for domain in localDomains ?? [] {
            guard case .name = domain, let route = Self.winningRoute(for: domain.normalized, in: routes),
                  route.hop != .maildir
            else { continue }
            report(route.path, "\(TOMLNode.quote(domain.normalized)) is a local domain (local.domains); only \"maildir\" can route it")
        }
        return RouteTable(Dictionary(uniqueKeysWithValues: routes.map { ($0.key, $0.hop) }))
    }

    /// A key of `[routes]`: a domain name, or `.` and a domain name for it and its subdomains;
    /// lower-cased.
    private mutating func routeKey(_ key: String, at path: ConfigKeyPath) -> String? {
        let name = key.hasPrefix(".") ? key.dropFirst() : Substring(key)
        guard AddressSyntax.isHostName(String(name)) else {
            report(path, "expected a domain like \"example.net\" or \".example.net\", got \(TOMLNode.quote(key))")
            return nil
        }
        return key.lowercased()
    }

    /// A value of `[routes]`: `smtp:HOST:PORT`, `lmtp:HOST:PORT`, `lmtp:unix:PATH` (relative to
    /// the config file's directory) or `maildir`.
    private mutating func nextHop(_ node: TOMLNode, at path: ConfigKeyPath) -> NextHop? {
        if case .table = node {
            // `example.net = "..."` without quotes is a dotted key: a table `example` holding `net`.
            report(path, "expected a route string, got a table (write a domain key in quotes: \"example.net\" = \"maildir\")")
            return nil
        }
        guard let text = string(node, at: path) else { return nil }
        if text == "maildir" { return .maildir }
        if text.hasPrefix("lmtp:unix:") {
            let socket = text.dropFirst("lmtp:unix:".count)
            guard !socket.isEmpty, !socket.contains("\0") else {
                report(path, "expected a path after \"lmtp:unix:\", got \(node.quoted)")
                return nil
            }
            return .lmtpSocket(path: PathResolver.absolute(String(socket), relativeTo: baseDirectory))
        }
        for scheme in ["smtp", "lmtp"] where text.hasPrefix(scheme + ":") {
            let rest = text.dropFirst(scheme.count + 1)
            guard let (host, port) = hostAndPort(rest, quoted: node.quoted, form: scheme + ":HOST:PORT", at: path)
            else { return nil }
            return scheme == "smtp" ? .smtp(host: host, port: port) : .lmtp(host: host, port: port)
        }
        report(
            path,
            "expected \"smtp:HOST:PORT\", \"lmtp:HOST:PORT\", \"lmtp:unix:PATH\" or \"maildir\", got \(node.quoted)")
        return nil
    }

    /// The route ``RouteTable`` picks for `name`: an exact key, else the longest `.` key that
    /// covers it.
    private static func winningRoute(
        for name: String, in routes: [(key: String, hop: NextHop, path: ConfigKeyPath)]
    ) -> (key: String, hop: NextHop, path: ConfigKeyPath)? {
        if let exact = routes.first(where: { $0.key == name }) { return exact }
        return routes
            .filter { $0.key.hasPrefix(".") && ("." + name).hasSuffix($0.key) }
            .max { $0.key.count < $1.key.count }
    }
}
