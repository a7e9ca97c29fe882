/// What a peer's EHLO (or LHLO) response says it supports, as far as Tern's client uses it.
///
/// After HELO every extension is off. Unknown keywords are ignored.
///
/// SeeAlso: RFC 5321 §4.1.1.1, RFC 2920 (PIPELINING), RFC 1870 (SIZE), RFC 6152 (8BITMIME),
/// RFC 6531 (SMTPUTF8), RFC 2034 (ENHANCEDSTATUSCODES), RFC 3030 (CHUNKING), RFC 3461 (DSN),
/// RFC 3207 (STARTTLS), RFC 4954 (AUTH).
public struct PeerCapabilities: Hashable, Sendable {
    /// Commands may be sent in groups (RFC 2920).
    public var pipelining: Bool
    /// `SIZE=` may be sent with MAIL (RFC 1870).
    public var size: Bool
    /// The largest message the peer takes, when it declared a limit (`SIZE n`, n > 0).
    public var maximumSize: Int?
    /// `BODY=8BITMIME` may be sent; 8-bit text is allowed (RFC 6152).
    public var eightBitMIME: Bool
    /// `SMTPUTF8` may be sent; UTF-8 addresses and headers are allowed (RFC 6531).
    public var smtpUTF8: Bool
    /// Replies carry enhanced status codes (RFC 2034).
    public var enhancedStatusCodes: Bool
    /// BDAT may be used instead of DATA (RFC 3030).
    public var chunking: Bool
    /// `RET`, `ENVID`, `NOTIFY` and `ORCPT` may be sent (RFC 3461).
    public var dsn: Bool
    /// CHECKPOINT (RFC 1845): a TRANSID on MAIL lets a broken transfer resume.
    public var checkpoint = false
    /// STARTTLS is offered (RFC 3207).
    public var startTLS: Bool
    /// The SASL mechanisms AUTH offers, upper-cased; empty when AUTH is not offered (RFC 4954).
    public var authMechanisms: [String]

    /// Capabilities as given; the default is a peer that answered HELO.
    public init(
        pipelining: Bool = false, size: Bool = false, maximumSize: Int? = nil, eightBitMIME: Bool = false,
        smtpUTF8: Bool = false, enhancedStatusCodes: Bool = false, chunking: Bool = false, dsn: Bool = false,
        startTLS: Bool = false, authMechanisms: [String] = []
    ) {
        self.pipelining = pipelining
        self.size = size
        self.maximumSize = maximumSize
        self.eightBitMIME = eightBitMIME
        self.smtpUTF8 = smtpUTF8
        self.enhancedStatusCodes = enhancedStatusCodes
        self.chunking = chunking
        self.dsn = dsn
        self.startTLS = startTLS
        self.authMechanisms = authMechanisms
    }

    /// Reads EHLO keyword lines (the response's lines after the first).
    ///
    ///     ehlo-line    = ehlo-keyword *( SP ehlo-param )
    ///     ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
    ///     size-param   = "SIZE" [SP 1*20DIGIT]          ; RFC 1870 §4, 0 means no limit
    ///     auth-param   = "AUTH" 1*(SP sasl-mech)         ; RFC 4954 §3; "AUTH=" from old peers too
    public init(keywordLines: some Sequence<String>) {
        self.init()
        for line in keywordLines {
            let words = line.split(separator: " ")
            guard let first = words.first else { continue }
            let keyword = first.uppercased()
            let parameters = words.dropFirst()
            switch keyword {
            case "PIPELINING": pipelining = true
            case "SIZE":
                size = true
                if let limit = parameters.first.flatMap({ Int($0) }), limit > 0 { maximumSize = limit }
            case "8BITMIME": eightBitMIME = true
            case "SMTPUTF8": smtpUTF8 = true
            case "ENHANCEDSTATUSCODES": enhancedStatusCodes = true
            case "CHUNKING": chunking = true
            case "DSN": dsn = true
            case "CHECKPOINT": checkpoint = true
            case "STARTTLS": startTLS = true
            case "AUTH": addMechanisms(parameters)
            default:
                if keyword.hasPrefix("AUTH=") {
                    addMechanisms([first.dropFirst(5)] + parameters)
                }
            }
        }
    }

    private mutating func addMechanisms(_ names: some Sequence<Substring>) {
        for name in names where !name.isEmpty {
            let upper = name.uppercased()
            if !authMechanisms.contains(upper) { authMechanisms.append(upper) }
        }
    }
}
