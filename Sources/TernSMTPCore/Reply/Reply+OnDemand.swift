/// ETRN and ATRN replies, and the `odmr` listener's (docs/behaviour.md §14, §15; RFC 1985, RFC 2645).
extension Reply {
    /// `220 <host> on-demand mail relay service ready`: the greeting of an `odmr` listener.
    public static func odmrGreeting(_ host: String) -> Reply {
        Reply(220, nil, "\(host) on-demand mail relay service ready")
    }
    /// `502 5.5.1`: a verb outside the `odmr` listener's set (docs/behaviour.md §0.4 check 6).
    public static let notImplementedOnODMR = Reply(502, .permanent(.invalidCommand),
                                                   "Command not implemented on the on-demand relay service")
    /// `502 5.5.1`: ETRN or ATRN on a listener whose role does not take it.
    public static let notImplementedOnListener = Reply(502, .permanent(.invalidCommand),
                                                       "Command not implemented on this listener")

    /// `253 2.0.0 OK, <n> pending messages for node <node> started`.
    public static func etrnStarted(_ node: String, messages: Int) -> Reply {
        Reply(253, .success(.undefined), "OK, \(messages) pending messages for node \(node) started")
    }
    /// `252 2.0.0 OK, pending messages for node <node> started`: `ETRN @node`.
    public static func etrnSubdomainsStarted(_ node: String) -> Reply {
        Reply(252, .success(.undefined), "OK, pending messages for node \(node) started")
    }
    /// `250 2.0.0 OK, queuing for node <node> started`: `ETRN #node`.
    public static func etrnQueueStarted(_ node: String) -> Reply {
        Reply(250, .success(.undefined), "OK, queuing for node \(node) started")
    }
    /// `251 2.0.0 OK, no messages waiting for node <node>`.
    public static func etrnNothingWaiting(_ node: String) -> Reply {
        Reply(251, .success(.undefined), "OK, no messages waiting for node \(node)")
    }
    /// `458 4.3.0 Unable to queue messages for node <node>`: a run or ATRN for it is under way,
    /// or the queue can't be read.
    public static func etrnUnableToQueue(_ node: String) -> Reply {
        Reply(458, .persistentTransient(.otherMailSystem), "Unable to queue messages for node \(node)")
    }
    /// `459 4.7.1 Node <node> not allowed: <reason>`.
    public static func nodeNotAllowed(_ node: String, reason: String) -> Reply {
        Reply(459, .persistentTransient(.notAuthorized),
              "Node \(ReplyText.echo(node, limit: 255)) not allowed: \(reason)")
    }
    /// `501 5.5.4 Syntax: ETRN [@|#]node`.
    public static let etrnSyntax = Reply(501, .permanent(.invalidArguments), "Syntax: ETRN [@|#]node")
    /// `503 5.5.1`: ETRN inside a transaction.
    public static let etrnInTransaction = badSequence("ETRN not permitted during a mail transaction")

    /// `250 2.0.0 OK now reversing the connection`: ATRN accepted; Tern turns client.
    public static let reversingConnection = Reply(250, .success(.undefined), "OK now reversing the connection")
    /// `450 4.7.1 ATRN request refused`: a domain the account does not own.
    public static let atrnRefused = Reply(450, .persistentTransient(.notAuthorized), "ATRN request refused")
    /// `451 4.3.0 Unable to process ATRN request now`: a domain is busy or the queue can't be read.
    public static let atrnUnavailable = Reply(451, .persistentTransient(.otherMailSystem),
                                              "Unable to process ATRN request now")
    /// `453 4.2.0 You have no mail`.
    public static let youHaveNoMail = Reply(453, .persistentTransient(.otherMailbox), "You have no mail")
    /// `501 5.5.4 Syntax: ATRN [domain[,domain]...]`.
    public static let atrnSyntax = Reply(501, .permanent(.invalidArguments), "Syntax: ATRN [domain[,domain]...]")
}
