/// Where mail for a domain goes next, from `[routes]` or `[relay] smarthost`; without either,
/// the domain's mail exchangers are looked up.
package enum NextHop: Hashable, Sendable, CustomStringConvertible {
    /// An SMTP server at a fixed host (a name looked up for A/AAAA, or an IP address) and port;
    /// no MX lookup.
    case smtp(host: String, port: Int)
    /// An LMTP server (RFC 2033) on a TCP port.
    case lmtp(host: String, port: Int)
    /// An LMTP server on a Unix domain socket.
    case lmtpSocket(path: String)
    /// Local Maildir delivery.
    case maildir

    /// The route as written in `tern.toml`: `smtp:HOST:PORT`, `lmtp:HOST:PORT`,
    /// `lmtp:unix:PATH` or `maildir`.
    package var description: String {
        switch self {
        case .smtp(let host, let port): "smtp:\(Self.hostText(host)):\(port)"
        case .lmtp(let host, let port): "lmtp:\(Self.hostText(host)):\(port)"
        case .lmtpSocket(let path): "lmtp:unix:\(path)"
        case .maildir: "maildir"
        }
    }

    private static func hostText(_ host: String) -> String {
        host.contains(":") ? "[\(host)]" : host
    }
}
