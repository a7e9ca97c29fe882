/// A message to hand to a peer: its envelope and what its text needs of the peer. The text
/// itself stays with the transport, which streams it when asked (`ClientAction.sendBody`).
///
/// SeeAlso: RFC 5321 §3.3, RFC 1870, RFC 6152, RFC 6531, RFC 3461.
public struct OutboundMessage: Sendable, Hashable {
    /// The caller's name for the message (its queue id); results and body requests carry it.
    public var id: String
    /// The reverse-path for `MAIL FROM:`.
    public var sender: ReversePath
    /// The recipients, at least one, in the order their RCPT commands go out.
    public var recipients: [OutboundRecipient]
    /// `RET`, `ENVID`, `AUTH` and `TRANSID` to pass on; `SIZE`, `BODY` and `SMTPUTF8` are set
    /// from `size`, `needs8bit` and `needsSMTPUTF8`. A `TRANSID` goes only to a peer that offers
    /// CHECKPOINT (RFC 1845), and must name this exact text: a resume sends the rest of it.
    public var parameters: MailParameters
    /// Octets of message text as stored, CRLF line endings, before dot-stuffing; BDAT sends
    /// exactly this many.
    public var size: Int
    /// The text has octets above 127: the peer must offer 8BITMIME (RFC 6152 §3).
    public var needs8bit: Bool
    /// The text has UTF-8 header fields: the peer must offer SMTPUTF8 (RFC 6531 §3.2). A
    /// non-ASCII address in the envelope needs it too, whatever this flag says.
    public var needsSMTPUTF8: Bool

    public init(
        id: String, sender: ReversePath, recipients: [OutboundRecipient], parameters: MailParameters = MailParameters(),
        size: Int, needs8bit: Bool = false, needsSMTPUTF8: Bool = false
    ) {
        self.id = id
        self.sender = sender
        self.recipients = recipients
        self.parameters = parameters
        self.size = size
        self.needs8bit = needs8bit
        self.needsSMTPUTF8 = needsSMTPUTF8
    }

    /// SMTPUTF8 is needed: by the flag, or by a non-ASCII address.
    var requiresSMTPUTF8: Bool {
        needsSMTPUTF8 || sender.mailbox?.isInternationalized == true || recipients.contains {
            if case .mailbox(let mailbox) = $0.path { return mailbox.isInternationalized }
            return false
        }
    }

    /// The MAIL parameters to offer the peer (the encoder drops what it doesn't support).
    var mailParameters: MailParameters {
        var parameters = parameters
        parameters.size = size
        if needs8bit { parameters.body = .eightBitMIME }
        parameters.smtpUTF8 = requiresSMTPUTF8
        return parameters
    }
}
