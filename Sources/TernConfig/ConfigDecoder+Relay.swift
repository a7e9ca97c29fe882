import Foundation
import TernPolicy

extension ConfigDecoder {
    /// `[relay]`: the networks that may relay without AUTH (none by default), the smarthost
    /// (none by default) and the account Tern authenticates as there (none by default).
    mutating func decodeRelay(
        _ node: TOMLNode?, at path: ConfigKeyPath
    ) -> (networks: [Network], smarthost: NextHop?, login: SmarthostLogin?) {
        guard let node, let table = table(node, at: path) else { return ([], nil, nil) }
        checkKeys(table, at: path, allowed: ["networks", "smarthost", "smarthost_user", "smarthost_password_file"])
        var networks: [Network] = []
        if let node = table["networks"],
           let listed = array(node, at: path.appending("networks"), of: "networks", { $0.network($1, at: $2) }) {
            networks = listed
        }
        let hop = table["smarthost"].flatMap { smarthost($0, at: path.appending("smarthost")) }
        return (networks, hop, smarthostLogin(table, at: path))
    }

    /// `smarthost_user` with the password in `smarthost_password_file`: both or neither, only
    /// with `smarthost`; the file must be a regular file readable by nobody but its owner
    /// (mode 0600), holding the password on its first line.
    private mutating func smarthostLogin(_ table: TOMLTableNode, at path: ConfigKeyPath) -> SmarthostLogin? {
        let userPath = path.appending("smarthost_user")
        let filePath = path.appending("smarthost_password_file")
        switch (table["smarthost_user"], table["smarthost_password_file"]) {
        case (nil, nil):
            return nil
        case (_?, nil):
            report(userPath, "needs relay.smarthost_password_file, the file holding the password")
            return nil
        case (nil, _?):
            report(filePath, "needs relay.smarthost_user, the user the password belongs to")
            return nil
        case (let user?, let file?):
            if table["smarthost"] == nil { report(userPath, "needs relay.smarthost, the server to authenticate to") }
            guard let username = string(user, at: userPath) else { return nil }
            guard !username.isEmpty, !username.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
            else {
                report(userPath, "expected a user name without control characters, got \(user.quoted)")
                return nil
            }
            guard reader == .server else { return nil }
            guard let password = passwordFile(file, at: filePath) else { return nil }
            return SmarthostLogin(username: username, password: password)
        }
    }

    /// The first line of the password file at `node`, checked for its type and mode (0600).
    mutating func passwordFile(_ node: TOMLNode, at keyPath: ConfigKeyPath) -> String? {
        guard let file = path(node, at: keyPath) else { return nil }
        var status = stat()
        guard stat(file, &status) == 0 else {
            report(keyPath, "cannot read \(node.quoted): \(errno == ENOENT ? "no such file" : String(cString: strerror(errno)))")
            return nil
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            report(keyPath, "\(node.quoted) is not a regular file")
            return nil
        }
        guard status.st_mode & 0o077 == 0 else {
            report(keyPath, "\(node.quoted) may be read by others (mode \(String(status.st_mode & 0o777, radix: 8))): "
                + "make it 0600")
            return nil
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            report(keyPath, "cannot read \(node.quoted): permission denied")
            return nil
        }
        let password = String(decoding: data, as: UTF8.self).split(
            omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).first.map(String.init) ?? ""
        guard !password.isEmpty else {
            report(keyPath, "\(node.quoted) holds no password on its first line")
            return nil
        }
        return password
    }

    /// `"host:port"`: a host name or IP address (IPv6 in brackets) and a required port.
    private mutating func smarthost(_ node: TOMLNode, at path: ConfigKeyPath) -> NextHop? {
        guard let text = string(node, at: path) else { return nil }
        guard let (host, port) = hostAndPort(text, quoted: node.quoted, form: "HOST:PORT", at: path) else { return nil }
        return .smtp(host: host, port: port)
    }

    /// The host and port of `text`, which is written as `form` (`"HOST:PORT"`,
    /// `"smtp:HOST:PORT"`, ...); `quoted` is the whole value as the error shows it.
    mutating func hostAndPort(
        _ text: some StringProtocol, quoted: String, form: String, addressesOnly: Bool = false, at path: ConfigKeyPath
    ) -> (host: String, port: Int)? {
        switch HostPortSyntax.parse(text, addressesOnly: addressesOnly) {
        case .success(let hostAndPort):
            return hostAndPort
        case .failure(.badHost):
            let host = addressesOnly ? "an IP address" : "a host name or IP address"
            report(path, "expected \(host) (IPv6 in brackets) in \(TOMLNode.quote(form)), got \(quoted)")
        case .failure(.missingPort):
            report(path, "missing port: expected \(TOMLNode.quote(form)), got \(quoted)")
        case .failure(.badPort):
            report(path, "expected a port from 1 to 65535, got \(quoted)")
        }
        return nil
    }
}
