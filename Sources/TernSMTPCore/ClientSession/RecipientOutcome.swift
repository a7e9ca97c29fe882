/// What became of one recipient, with the reply that decided it.
///
/// SeeAlso: RFC 5321 §4.2.1 (reply classes), RFC 3463 §3.1.
public enum RecipientOutcome: Sendable, Hashable {
    /// The peer took responsibility for the message (a 2yz reply).
    case delivered(Reply)
    /// Try again later (a 4yz reply, a lost connection, or a host-level refusal).
    case deferred(Reply)
    /// Do not try again; bounce (a 5yz reply to this recipient or its transaction).
    case failed(Reply)

    /// The outcome a final reply means: 2yz delivered, 4yz deferred, 5yz failed.
    public init(_ reply: Reply) {
        switch reply.code / 100 {
        case 2: self = .delivered(reply)
        case 4: self = .deferred(reply)
        default: self = .failed(reply)
        }
    }

    /// The reply that decided the outcome.
    public var reply: Reply {
        switch self {
        case .delivered(let reply), .deferred(let reply), .failed(let reply): reply
        }
    }
}
