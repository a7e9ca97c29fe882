/// The body type declared with `BODY=` (RFC 6152). BINARYMIME is not offered.
public enum BodyType: String, Hashable, Sendable {
    case sevenBit = "7BIT"
    case eightBitMIME = "8BITMIME"
}

/// What a DSN should carry of the original message: `RET=FULL` or `RET=HDRS` (RFC 3461 §4.3).
public enum DSNReturn: String, Hashable, Sendable {
    case full = "FULL"
    case headers = "HDRS"
}

/// The ESMTP parameters of `MAIL FROM:`, each checked for syntax by the parser.
public struct MailParameters: Hashable, Sendable {
    /// `SIZE=n` (RFC 1870).
    public var size: Int?
    /// `BODY=` (RFC 6152).
    public var body: BodyType?
    /// `SMTPUTF8` (RFC 6531).
    public var smtpUTF8: Bool
    /// `RET=` (RFC 3461).
    public var ret: DSNReturn?
    /// `ENVID=`, xtext-decoded (RFC 3461 §4.4).
    public var envelopeID: String?
    /// `AUTH=`, xtext-decoded; `<>` is kept as `"<>"` (RFC 4954 §5).
    public var auth: String?
    /// `TRANSID=<local@domain>` (RFC 1845), with its brackets.
    public var transactionID: String?

    public init(
        size: Int? = nil, body: BodyType? = nil, smtpUTF8: Bool = false, ret: DSNReturn? = nil,
        envelopeID: String? = nil, auth: String? = nil, transactionID: String? = nil
    ) {
        self.size = size
        self.body = body
        self.smtpUTF8 = smtpUTF8
        self.ret = ret
        self.envelopeID = envelopeID
        self.auth = auth
        self.transactionID = transactionID
    }
}
