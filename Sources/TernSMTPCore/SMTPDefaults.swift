/// Every protocol limit Tern enforces, with the RFC that sets or motivates it.
public enum SMTPDefaults {
    /// A command line, CRLF included (RFC 5321 §4.5.3.1.4: 512 octets).
    public static let commandLineLimit = 512
    /// MAIL and RCPT lines: 512 plus room for the extension parameters (RFC 5321 §4.5.3.1.4
    /// lets extensions raise it; SIZE, BODY, RET, ENVID, NOTIFY, ORCPT, TRANSID and SMTPUTF8).
    public static let mailRcptLineLimit = 2_048
    /// AUTH command and SASL response lines (RFC 4954 §4: 12 288 octets).
    public static let authLineLimit = 12_288
    /// A line of message text, CRLF included, a stuffed dot not counted (RFC 5321 §4.5.3.1.6).
    public static let textLineLimit = 1_000
    /// `Received:` fields allowed in one message before it is taken for a loop (RFC 5321 §6.3).
    public static let maximumHops = 50
    /// The longest client verb echoed back in a 500 reply.
    public static let echoedVerbLimit = 32
    /// The longest TRANSID, brackets included (RFC 1845 §3).
    public static let transactionIDLimit = 80
    /// The longest ENVID (RFC 3461 §4.4: 100 characters).
    public static let envelopeIDLimit = 100
}
