/// The end of one message on this connection: an outcome for every recipient.
///
/// SeeAlso: RFC 5321 §3.3, §4.2.5, RFC 2033 §4.2.
public struct MessageResult: Sendable, Hashable {
    /// The message's `OutboundMessage.id`.
    public var messageID: String
    /// Every recipient, in the message's order.
    public var recipients: [RecipientResult]

    public init(messageID: String, recipients: [RecipientResult]) {
        self.messageID = messageID
        self.recipients = recipients
    }

    /// Some recipient was deferred: the message stays queued for them.
    public var needsRetry: Bool {
        recipients.contains {
            if case .deferred = $0.outcome { return true }
            return false
        }
    }
}
