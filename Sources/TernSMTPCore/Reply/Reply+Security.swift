/// STARTTLS, AUTH and ETRN replies (docs/behaviour.md §12, §13, §14).
extension Reply {
    /// `220 2.0.0 Ready to start TLS`.
    public static let readyToStartTLS = Reply(220, .success(.undefined), "Ready to start TLS")
    /// `454 4.7.0 TLS not available due to temporary reason`.
    public static let tlsNotAvailable = Reply(454, .persistentTransient(.otherSecurity),
                                              "TLS not available due to temporary reason")
    /// `503 5.5.1`: STARTTLS inside TLS.
    public static let tlsAlreadyActive = badSequence("TLS already active")
    /// `530 5.7.0 Must issue a STARTTLS command first`.
    public static let startTLSFirst = Reply(530, .permanent(.otherSecurity), "Must issue a STARTTLS command first")
    /// `530 5.7.0 Authentication required`.
    public static let authenticationRequired = Reply(530, .permanent(.otherSecurity), "Authentication required")
    /// `553 5.7.1`: a sender address the authenticated account does not own.
    public static func senderNotOwned(_ sender: ReversePath, account: String) -> Reply {
        Reply(553, .permanent(.notAuthorized),
              "Sender address \(ReplyText.echo(sender.description, limit: 320, utf8: true)) not owned by user \(account)")
    }
    /// `235 2.7.0 Authentication successful`.
    public static let authenticationSucceeded = Reply(235, .success(.otherSecurity), "Authentication successful")
    /// `334 <base64>`: a SASL challenge (no enhanced code).
    public static func challenge(_ bytes: [UInt8]) -> Reply {
        Reply(334, nil, Base64.encode(bytes))
    }
    /// `503 5.5.1`: AUTH when already authenticated.
    public static let alreadyAuthenticated = badSequence("already authenticated")
    /// `535 5.7.8 Authentication credentials invalid`.
    public static let invalidCredentials = Reply(535, .permanent(.invalidCredentials), "Authentication credentials invalid")
    /// `534 5.7.9 Authentication mechanism is too weak`.
    public static let mechanismTooWeak = Reply(534, .permanent(.mechanismTooWeak), "Authentication mechanism is too weak")
    /// `432 4.7.12 A password transition is needed`.
    public static let passwordTransitionNeeded = Reply(432, .persistentTransient(.passwordTransition),
                                                       "A password transition is needed")
    /// `454 4.7.0 Temporary authentication failure`.
    public static let temporaryAuthenticationFailure = Reply(454, .persistentTransient(.otherSecurity),
                                                             "Temporary authentication failure")
    /// `501 5.7.0 Authentication cancelled`.
    public static let authenticationCancelled = Reply(501, .permanent(.otherSecurity), "Authentication cancelled")
    /// `501 5.5.2 Cannot decode response`: a SASL response that is not base64.
    public static let cannotDecodeResponse = Reply(501, .permanent(.syntaxError), "Cannot decode response")
    /// `500 5.5.6 Authentication exchange line is too long`.
    public static let authLineTooLong = Reply(500, .permanent(.authLineTooLong), "Authentication exchange line is too long")
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
}
