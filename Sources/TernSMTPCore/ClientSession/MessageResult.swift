/// The end of one message on this connection: an outcome for every recipient.
///
/// SeeAlso: RFC 5321 §3.3, §4.2.5, RFC 2033 §4.2.
public struct MessageResult: Sendable, Hashable {
    /// The message's `OutboundMessage.id`.
    public var messageID: String
    /// Every recipient, in the message's order.
    public var recipients: [RecipientResult]
    /// The peer offers DSN (RFC 3461): it took `NOTIFY` and `ORCPT` and reports success itself,
    /// so a delivered recipient that asked for success reports needs none from Tern.
    public var peerOffersDSN: Bool

    public init(messageID: String, recipients: [RecipientResult], peerOffersDSN: Bool = false) {
        self.messageID = messageID
        self.recipients = recipients
        self.peerOffersDSN = peerOffersDSN
    }

    /// Some recipient was deferred: the message stays queued for them.
    public var needsRetry: Bool {
        recipients.contains {
            if case .deferred = $0.outcome { return true }
            return false
        }
    }
}
