/// STARTTLS, AUTH and ETRN replies that need no TLS context, SASL or queue runner
/// (SPEC.md §12, §13, §14).
extension Reply {
    /// `454 4.7.0 TLS not available due to temporary reason`.
    public static let tlsNotAvailable = Reply(454, .persistentTransient(.otherSecurity),
                                              "TLS not available due to temporary reason")
    /// `501 5.5.4 Syntax: AUTH mechanism [initial-response]`.
    public static let authSyntax = Reply(501, .permanent(.invalidArguments), "Syntax: AUTH mechanism [initial-response]")
    /// `503 5.5.1`: AUTH after HELO or before EHLO.
    public static let authNeedsEHLO = badSequence("send EHLO first")
    /// `503 5.5.1`: AUTH inside a mail transaction.
    public static let authInTransaction = badSequence("AUTH not permitted during a mail transaction")
    /// `504 5.5.4 Unrecognized authentication type`.
    public static let unknownMechanism = Reply(504, .permanent(.invalidArguments), "Unrecognized authentication type")
    /// `538 5.7.11 Encryption required for requested authentication mechanism`.
    public static let encryptionRequired = Reply(538, .permanent(.encryptionRequired),
                                                 "Encryption required for requested authentication mechanism")
    /// `501 5.5.4 Syntax: ETRN [@|#]node`.
    public static let etrnSyntax = Reply(501, .permanent(.invalidArguments), "Syntax: ETRN [@|#]node")
    /// `503 5.5.1`: ETRN inside a transaction.
    public static let etrnInTransaction = badSequence("ETRN not permitted during a mail transaction")
    /// `459 4.7.1 Node <node> not allowed: <reason>`.
    public static func nodeNotAllowed(_ node: String, reason: String) -> Reply {
        Reply(459, .persistentTransient(.notAuthorized),
              "Node \(ReplyText.echo(node, limit: 255)) not allowed: \(reason)")
    }
}
