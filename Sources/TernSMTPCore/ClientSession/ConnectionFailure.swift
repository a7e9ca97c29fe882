/// Something the transport saw go wrong that ends the session.
///
/// SeeAlso: RFC 5321 §4.5.3.2 (timeouts), RFC 3207 §4.1.
public enum ConnectionFailure: Sendable, Hashable {
    /// No connection could be made (refused, unreachable, or no answer in time).
    case connectFailed
    /// The peer closed the connection, or it broke.
    case connectionLost
    /// The peer took longer than the command's timeout.
    case timedOut
    /// The peer's octets are not a reply (`ReplyParser.ParseError`).
    case malformedReply
    /// The TLS handshake after STARTTLS failed.
    case tlsHandshakeFailed

    /// The reply every unfinished recipient is deferred with.
    var reply: Reply {
        switch self {
        case .connectFailed: .connectFailed
        case .connectionLost: .connectionLost
        case .timedOut: .timedOut
        case .malformedReply: .malformedReply
        case .tlsHandshakeFailed: .tlsHandshakeFailed
        }
    }
}
