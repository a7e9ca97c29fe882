/// Where the peer listens.
public enum PeerAddress: Hashable, Sendable, CustomStringConvertible {
    /// A TCP port on a host: an IP address, or a name the system resolver looks up.
    case tcp(host: String, port: Int)
    /// A Unix domain socket, as LMTP servers such as Dovecot's often offer.
    case unixSocket(path: String)

    /// `host:port` or the socket's path, for logs.
    public var description: String {
        switch self {
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unixSocket(let path): path
        }
    }
}
