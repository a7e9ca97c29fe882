extension ConfigDecoder {
    /// `[spool]`, each missing key at its default (the file spool).
    mutating func decodeSpool(_ node: TOMLNode?, at path: ConfigKeyPath) -> TernConfiguration.Spool {
        var spool = TernConfiguration.Spool()
        guard let node, let table = table(node, at: path) else { return spool }
        checkKeys(table, at: path, allowed: ["backend", "postgres_url", "postgres_password_file", "node", "lease"])
        if let value = table["backend"],
           let backend = choice(value, at: path.appending("backend"), of: TernConfiguration.Spool.Backend.self) {
            spool.backend = backend
        }
        if let value = table["node"], let name = string(value, at: path.appending("node")) {
            if name.isEmpty || name.utf8.count > 64 || !name.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) {
                report(path.appending("node"), "expected 1 to 64 printable characters without spaces, got \(value.quoted)")
            } else {
                spool.node = name
            }
        }
        if let value = table["lease"], let lease = duration(value, at: path.appending("lease")) {
            if lease < .seconds(3) {
                report(path.appending("lease"), "expected at least 3s, got \(value.quoted)")
            } else {
                spool.lease = lease
            }
        }
        let urlPath = path.appending("postgres_url")
        let filePath = path.appending("postgres_password_file")
        switch spool.backend {
        case .files:
            for key in ["postgres_url", "postgres_password_file", "node", "lease"] where table[key] != nil {
                report(path.appending(key), "only with spool.backend = \"postgres\"")
            }
        case .postgres:
            guard let value = table["postgres_url"] else {
                report(path.appending("backend"), "needs spool.postgres_url, the database of the queue")
                return spool
            }
            let password = table["postgres_password_file"].flatMap { reader == .server ? passwordFile($0, at: filePath) : nil }
            guard let url = string(value, at: urlPath) else { return spool }
            guard var location = Self.postgresLocation(url) else {
                let hasPassword = url.split(separator: "@").first.map { $0.dropFirst("postgres://".count).contains(":") }
                report(urlPath, "expected postgres://USER@HOST:PORT/DATABASE, got \(value.quoted)"
                    + (url.contains("@") && hasPassword == true ? " (the password goes in spool.postgres_password_file)" : ""))
                return spool
            }
            location.password = password
            spool.postgres = location
        }
        return spool
    }

    /// `postgres://USER@HOST[:PORT]/DATABASE` (or `postgresql://`), without a password or
    /// parameters; the host a name or an IP address, IPv6 in brackets.
    static func postgresLocation(_ url: String) -> TernConfiguration.PostgresLocation? {
        guard let rest = ["postgres://", "postgresql://"].lazy.compactMap({ url.hasPrefix($0) ? url.dropFirst($0.count) : nil }).first,
              let at = rest.firstIndex(of: "@"), let slash = rest[at...].firstIndex(of: "/") else { return nil }
        let user = rest[..<at]
        let server = rest[rest.index(after: at)..<slash]
        let database = rest[rest.index(after: slash)...]
        let allowed = { (text: Substring) in
            !text.isEmpty && text.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || "0123456789_-.".unicodeScalars.contains($0) }
        }
        guard allowed(user), allowed(database) else { return nil }
        let withPort = server.hasSuffix("]") || !server.contains(":") ? server + ":5432" : server
        guard case .success(let endpoint) = HostPortSyntax.parse(withPort) else { return nil }
        return TernConfiguration.PostgresLocation(
            user: String(user), host: endpoint.host, port: endpoint.port, database: String(database))
    }
}
