/// One recipient of an outbound message, with the DSN parameters to pass on.
///
/// SeeAlso: RFC 5321 §4.1.1.3, RFC 3461 §4.1-4.2.
public struct OutboundRecipient: Sendable, Hashable {
    /// The address for `RCPT TO:`.
    public var path: ForwardPath
    /// `NOTIFY` and `ORCPT`, sent when the peer offers DSN.
    public var parameters: RcptParameters

    public init(path: ForwardPath, parameters: RcptParameters = RcptParameters()) {
        self.path = path
        self.parameters = parameters
    }
}
