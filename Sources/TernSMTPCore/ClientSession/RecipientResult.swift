/// A recipient and its outcome.
public struct RecipientResult: Sendable, Hashable {
    /// The recipient, as the message gave it.
    public var recipient: OutboundRecipient
    /// What became of it.
    public var outcome: RecipientOutcome

    public init(recipient: OutboundRecipient, outcome: RecipientOutcome) {
        self.recipient = recipient
        self.outcome = outcome
    }
}
