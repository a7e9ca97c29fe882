/// Replies the client makes up for failures found on its own side: they stand where a peer's
/// reply would, so every recipient outcome has a code to act on and a text to log and quote.
/// None is ever sent on the wire.
extension Reply {
    /// `454 4.7.4`: TLS is required and the peer doesn't offer STARTTLS.
    public static let tlsNotOffered = Reply(454, EnhancedStatusCode(4, 7, 4),
                                                    "TLS is required, but the peer does not offer STARTTLS")
    /// `454 4.7.4`: TLS is required and the peer refused STARTTLS.
    public static func startTLSRefused(_ code: Int) -> Reply {
        Reply(454, EnhancedStatusCode(4, 7, 4), "TLS is required, but the peer refused STARTTLS with \(code)")
    }
    /// `454 4.7.0`: credentials are set and the peer offers none of their AUTH mechanisms.
    public static func authNotOffered(_ mechanisms: [String]) -> Reply {
        Reply(454, EnhancedStatusCode(4, 7, 0),
                      "Credentials are set, but the peer offers no AUTH \(mechanisms.joined(separator: " or "))")
    }
    /// `454 4.7.0`: the peer did not prove it knows the credentials (a SCRAM server signature
    /// that does not verify, or success announced before the exchange was complete).
    public static let authPeerNotVerified = Reply(454, EnhancedStatusCode(4, 7, 0),
                                                          "The peer did not prove it knows the credentials")
    /// `454 4.7.0`: credentials are set and the connection is not encrypted.
    public static let authNeedsTLS = Reply(454, EnhancedStatusCode(4, 7, 0),
                                                   "Credentials are sent only over TLS, and the peer did not start it")
    /// `552 5.3.4`: the message is bigger than the peer's declared SIZE.
    public static func tooBigForPeer(_ limit: Int) -> Reply {
        Reply(552, EnhancedStatusCode(5, 3, 4), "Message is larger than the peer's limit of \(limit) octets")
    }
    /// `550 5.6.7`: the message needs SMTPUTF8 and the peer doesn't offer it (RFC 6531 §3.2).
    public static let smtpUTF8NotOffered = Reply(550, EnhancedStatusCode(5, 6, 7),
                                                         "Message needs SMTPUTF8, which the peer does not offer")
    /// `554 5.6.3`: the text is 8-bit and the peer doesn't offer 8BITMIME (RFC 6152 §3).
    public static let eightBitMIMENotOffered = Reply(554, EnhancedStatusCode(5, 6, 3),
                                                             "Message has 8-bit text, but the peer does not offer 8BITMIME")
    /// `421 4.4.1`: no connection to the peer could be made.
    public static let connectFailed = Reply(421, EnhancedStatusCode(4, 4, 1), "No connection to the peer could be made")
    /// `421 4.4.2`: the connection broke.
    public static let connectionLost = Reply(421, EnhancedStatusCode(4, 4, 2), "Connection to the peer was lost")
    /// `421 4.4.2`: the peer was too slow.
    public static let timedOut = Reply(421, EnhancedStatusCode(4, 4, 2), "Timed out waiting for the peer")
    /// `421 4.5.0`: the peer's octets are not a reply.
    public static let malformedReply = Reply(421, EnhancedStatusCode(4, 5, 0), "The peer sent a malformed reply")
    /// `421 4.7.5`: the TLS handshake failed.
    public static let tlsHandshakeFailed = Reply(421, EnhancedStatusCode(4, 7, 5), "TLS handshake with the peer failed")
    /// `421 4.5.0`: a reply that doesn't fit the command it answers, or answers none.
    public static func unexpectedReply(_ code: Int) -> Reply {
        Reply(421, EnhancedStatusCode(4, 5, 0), "Unexpected reply \(code) from the peer")
    }
    /// `421 4.4.2`: a message handed to a session that has ended.
    public static let sessionClosed = Reply(421, EnhancedStatusCode(4, 4, 2), "The connection to the peer is closed")
    /// `421 4.3.2`: the delivery was cut short because this server is stopping; the message is
    /// tried again when it starts (RFC 3463 X.3.2, system not accepting messages).
    public static let stopping = Reply(421, EnhancedStatusCode(4, 3, 2), "Delivery interrupted: the server is stopping")
    /// `556 5.1.10`: the domain publishes a null MX: it accepts no mail (RFC 7505 §4.2).
    public static func nullMX(_ domain: String) -> Reply {
        Reply(556, EnhancedStatusCode(5, 1, 10), "Domain \(domain) does not accept mail (null MX)")
    }
    /// `550 5.1.2`: the recipient's domain does not exist in the DNS.
    public static func domainNotFound(_ domain: String) -> Reply {
        Reply(550, EnhancedStatusCode(5, 1, 2), "Domain \(domain) not found")
    }
    /// `550 5.4.4`: the domain has neither mail exchangers nor an address.
    public static func noRoute(_ domain: String) -> Reply {
        Reply(550, EnhancedStatusCode(5, 4, 4), "No mail exchanger or address for \(domain)")
    }
    /// `451 4.4.3`: the DNS could not be asked, or failed; try later.
    public static func dnsFailure(_ detail: String) -> Reply {
        Reply(451, EnhancedStatusCode(4, 4, 3), "DNS lookup failed: \(detail)")
    }
    /// `554 5.4.6`: every host of the destination is one of this server's own listening
    /// sockets (RFC 5321 §5.1, docs/behaviour.md §11).
    public static func loopsBackToMyself(_ domain: String) -> Reply {
        Reply(554, EnhancedStatusCode(5, 4, 6), "mail for \(domain) loops back to myself")
    }
}
