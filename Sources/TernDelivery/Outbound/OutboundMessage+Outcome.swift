import TernSMTPCore

extension OutboundMessage {
    /// A result giving every recipient the outcome `reply` means: for a message that was never
    /// handed to a peer.
    func outcomeForAll(_ reply: Reply) -> MessageResult {
        MessageResult(messageID: id, recipients: recipients.map { RecipientResult(recipient: $0, outcome: RecipientOutcome(reply)) })
    }
}
