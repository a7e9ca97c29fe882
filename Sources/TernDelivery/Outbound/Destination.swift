import TernPolicy
import TernSMTPClient

/// Where a group of recipients is sent over one kind of connection: a domain's mail
/// exchangers, or a fixed next hop from `[routes]` or the smarthost. Connections, their limits
/// and the messages that share a connection are counted per destination.
enum Destination: Hashable, Sendable, CustomStringConvertible {
    /// The domain's MX hosts (RFC 5321 §5.1), lower-cased.
    case mailExchangers(domain: String)
    /// A fixed SMTP or LMTP next hop (never `.maildir`).
    case relay(NextHop)

    /// Whether the peer speaks LMTP.
    var lmtp: Bool {
        switch self {
        case .relay(.lmtp), .relay(.lmtpSocket): true
        case .mailExchangers, .relay(.smtp), .relay(.maildir): false
        }
    }

    var description: String {
        switch self {
        case .mailExchangers(let domain): domain
        case .relay(let hop): hop.description
        }
    }
}

/// One host to try for a destination, in order.
struct PeerCandidate: Hashable, Sendable {
    /// Where to connect.
    var address: PeerAddress
    /// The host's name: for TLS server name indication and the report's `Remote-MTA:`.
    var hostname: String
}
