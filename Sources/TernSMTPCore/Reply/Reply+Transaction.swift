/// MAIL, RCPT, DATA and BDAT replies (docs/behaviour.md §4, §5, §7).
extension Reply {
    /// `250 2.1.0 Sender OK`.
    public static let senderOK = Reply(250, .success(.otherAddress), "Sender OK")
    /// `503 5.5.1`: MAIL inside a transaction.
    public static let nestedMail = badSequence("nested MAIL command")
    /// `501 5.5.4 Syntax: MAIL FROM:<address> [parameters]`.
    public static let mailSyntax = Reply(501, .permanent(.invalidArguments), "Syntax: MAIL FROM:<address> [parameters]")
    /// `501 5.5.4 Syntax: RCPT TO:<address> [parameters]`.
    public static let rcptSyntax = Reply(501, .permanent(.invalidArguments), "Syntax: RCPT TO:<address> [parameters]")
    /// `501 5.5.4`: a malformed, repeated or wrongly valued ESMTP parameter.
    public static func parameterSyntax(_ keyword: String) -> Reply {
        Reply(501, .permanent(.invalidArguments),
              "Syntax error in parameter \(ReplyText.echo(keyword, limit: SMTPDefaults.echoedVerbLimit))")
    }
    /// `555 5.5.4 MAIL parameter FOO not recognized or not implemented` (or RCPT).
    public static func unknownParameter(_ verb: String, _ keyword: String) -> Reply {
        Reply(555, .permanent(.invalidArguments),
              "\(verb) parameter \(ReplyText.echo(keyword, limit: SMTPDefaults.echoedVerbLimit)) not recognized or not implemented")
    }
    /// `552 5.3.4 Requested mail action aborted: exceeded storage allocation`.
    public static let messageTooBig = Reply(552, .permanent(.messageTooBig),
                                            "Requested mail action aborted: exceeded storage allocation")
    /// `553 5.6.7`: a non-ASCII address without SMTPUTF8.
    public static let nonASCIIAddress = Reply(553, .permanent(.nonASCIIAddress),
                                              "Non-ASCII address not permitted without SMTPUTF8")
    /// `553 5.1.7`: a sender address that doesn't parse.
    public static let badSenderAddress = Reply(553, .permanent(.badSenderSyntax),
                                               "Requested action not taken: mailbox name not allowed")
    /// `553 5.1.3`: a recipient (or VRFY) address that doesn't parse, or `<>`.
    public static let badRecipientAddress = Reply(553, .permanent(.badDestinationSyntax),
                                                  "Requested action not taken: mailbox name not allowed")
    /// `503 5.5.1`: RCPT or DATA before MAIL.
    public static let needMail = badSequence("need MAIL command")
    /// `503 5.5.1`: DATA before any RCPT.
    public static let needRcpt = badSequence("need RCPT command")
    /// `452 4.5.3 Too many recipients`.
    public static let tooManyRecipients = Reply(452, .persistentTransient(.tooManyRecipients), "Too many recipients")
    /// `250 2.1.5 Recipient OK`.
    public static let recipientOK = Reply(250, .success(.destinationValid), "Recipient OK")
    /// `251 2.1.5 User not local; will forward to <path>`.
    public static func willForward(_ to: Mailbox) -> Reply {
        Reply(251, .success(.destinationValid), "User not local; will forward to <\(to)>")
    }
    /// `551 5.1.6 User not local; please try <path>`.
    public static func relocated(_ to: Mailbox) -> Reply {
        Reply(551, .permanent(.mailboxMoved), "User not local; please try <\(to)>")
    }
    /// `550 5.1.1 <addr>: Requested action not taken: mailbox unavailable`.
    public static func unknownUser(_ address: String) -> Reply {
        Reply(550, .permanent(.badDestinationMailbox), "<\(address)>: Requested action not taken: mailbox unavailable")
    }
    /// `550 5.2.1 <addr>: Requested action not taken: mailbox disabled`.
    public static func mailboxDisabled(_ address: String) -> Reply {
        Reply(550, .permanent(.mailboxDisabled), "<\(address)>: Requested action not taken: mailbox disabled")
    }
    /// `450 4.2.1 <addr>: Requested mail action not taken: mailbox unavailable`.
    public static func mailboxUnavailable(_ address: String) -> Reply {
        Reply(450, .persistentTransient(.mailboxDisabled),
              "<\(address)>: Requested mail action not taken: mailbox unavailable")
    }
    /// `554 5.7.1 <addr>: Relay access denied`.
    public static func relayDenied(_ address: String) -> Reply {
        Reply(554, .permanent(.notAuthorized), "<\(address)>: Relay access denied")
    }
    /// `354 Start mail input; end with <CRLF>.<CRLF>`.
    public static let startMailInput = Reply(354, nil, "Start mail input; end with <CRLF>.<CRLF>")
    /// `250 2.0.0 Requested mail action okay, completed: queued as <id>`.
    public static func queued(_ id: QueueID) -> Reply {
        Reply(250, .success(.undefined), "Requested mail action okay, completed: queued as \(id)")
    }
    /// `503 5.5.1`: DATA in a transaction that used BDAT.
    public static let dataAfterBDAT = badSequence("DATA not permitted after BDAT")
    /// `554 5.5.1 Transaction failed: no valid recipients`.
    public static let noValidRecipients = Reply(554, .permanent(.invalidCommand), "Transaction failed: no valid recipients")
    /// `250 2.0.0 <n> octets received`.
    public static func chunkReceived(_ octets: Int) -> Reply {
        Reply(250, .success(.undefined), "\(octets) octets received")
    }
    /// `501 5.5.4 Syntax: BDAT chunk-size [LAST]`.
    public static let bdatSyntax = Reply(501, .permanent(.invalidArguments), "Syntax: BDAT chunk-size [LAST]")
    /// `503 5.5.1`: BDAT after a failed BDAT.
    public static let previousBDATFailed = badSequence("previous BDAT failed, send RSET")
    /// `554 5.6.0 Transaction failed: message contains bare CR or LF`.
    public static let bareLineEnding = Reply(554, .permanent(.otherMedia), "Transaction failed: message contains bare CR or LF")
    /// `554 5.4.6 Transaction failed: too many hops`.
    public static let tooManyHops = Reply(554, .permanent(.routingLoop), "Transaction failed: too many hops")
}

/// Checkpoint/restart replies (docs/behaviour.md §16, RFC 1845).
extension Reply {
    /// `355 <offset> is the transaction offset`: no enhanced code.
    public static func transactionOffset(_ offset: Int) -> Reply {
        Reply(355, nil, "\(offset) is the transaction offset")
    }
    /// `250 2.0.0 Requested mail action okay, completed: already accepted as <id>`.
    public static func alreadyAccepted(_ id: String) -> Reply {
        Reply(250, .success(.undefined), "Requested mail action okay, completed: already accepted as \(id)")
    }
    /// `503 5.5.1`: a resume with the other command than the interrupted one.
    public static let resumeWithInterruptedCommand = badSequence("resume with the interrupted command")
}
