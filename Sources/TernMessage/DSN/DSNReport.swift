package import TernSMTPCore

/// A delivery status notification ready to be spooled: its envelope, and its bytes around the
/// returned part of the original message.
///
/// The message is `prefix`, then the original message's stored bytes passed through
/// `makeReturnedContent()`, then `suffix`; so a large original is streamed, never held in
/// memory. All lines end in CRLF.
package struct DSNReport: Sendable {
    /// The reverse path to send the report from: always the null path `<>`, so no report is
    /// ever sent about a report (RFC 3461 §6.2, RFC 5321 §4.5.5).
    package let reversePath: ReversePath
    /// The report's one recipient: the original message's sender.
    package let recipient: Mailbox
    /// `MAIL FROM:` parameters for the report: `SMTPUTF8` when `recipient` is not ASCII,
    /// `BODY=8BITMIME` when a part is 8-bit.
    package let parameters: MailParameters
    /// The report's `Message-ID:`, with its angle brackets.
    package let messageID: String
    /// What of the original message the third part returns.
    package let returned: DSNReturn
    /// The header section, the text part, the `message/delivery-status` part, and the header of
    /// the third part.
    package let prefix: [UInt8]
    /// The end of the third part and the closing boundary.
    package let suffix: [UInt8]

    package init(
        recipient: Mailbox, parameters: MailParameters, messageID: String, returned: DSNReturn, prefix: [UInt8],
        suffix: [UInt8]
    ) {
        reversePath = .null
        self.recipient = recipient
        self.parameters = parameters
        self.messageID = messageID
        self.returned = returned
        self.prefix = prefix
        self.suffix = suffix
    }

    /// A filter for the original message's stored bytes, at their start, that yields the third
    /// part's content.
    package func makeReturnedContent() -> DSNReturnedContent {
        DSNReturnedContent(returned)
    }
}
