/// HELP, HELP STATUS and VRFY replies (docs/behaviour.md §3).
extension Reply {
    /// `214 2.0.0` help: the host, the commands this listener accepts, how to ask for more.
    public static func help(_ host: String, commands: [String]) -> Reply {
        Reply(214, .success(.undefined), [
            "\(host) help message",
            "Commands: " + commands.joined(separator: " "),
            "HELP <command> describes a command, HELP STATUS shows the system status",
        ])
    }
    /// `214 2.0.0 <syntax of the command>`.
    public static func helpTopic(_ syntax: String) -> Reply {
        Reply(214, .success(.undefined), syntax)
    }
    /// `504 5.5.4`: HELP on a topic Tern has no text for.
    public static func noHelp(_ topic: String) -> Reply {
        parameterNotImplemented("no help for \(ReplyText.echo(topic, limit: SMTPDefaults.echoedVerbLimit))")
    }
    /// `211 2.0.0` system status, one item per line, ending with `End of status`.
    public static func systemStatus(_ host: String, _ status: ServerStatus) -> Reply {
        Reply(211, .success(.undefined), [
            "\(host) System status",
            "Mode: \(status.acceptingMail ? "accepting mail" : "no-mail")",
            "Sessions: \(status.sessions)",
            "Queued messages: \(status.queuedMessages)",
            "Held messages: \(status.heldMessages)",
            "End of status",
        ])
    }
    /// `250 2.1.5 <user@example.com>`: VRFY of a local mailbox.
    public static func verified(_ mailbox: Mailbox) -> Reply {
        Reply(250, .success(.destinationValid), "<\(mailbox)>")
    }
    /// `252 2.1.5 Cannot VRFY user ...`.
    public static let cannotVerify = Reply(252, .success(.destinationValid),
        "Cannot VRFY user (e.g., info is not local), but will take message for this user and attempt delivery")
    /// `550 5.7.1 <addr>: Relay access denied`: VRFY of a non-local address, unauthenticated.
    public static func verifyRelayDenied(_ address: String) -> Reply {
        Reply(550, .permanent(.notAuthorized), "<\(address)>: Relay access denied")
    }
    /// `501 5.5.4 Syntax: VRFY address`.
    public static let verifySyntax = Reply(501, .permanent(.invalidArguments), "Syntax: VRFY address")
}

/// What HELP STATUS reports; supplied by the server's owner.
public struct ServerStatus: Sendable, Hashable {
    /// False in no-mail mode.
    public var acceptingMail: Bool
    /// Open SMTP sessions.
    public var sessions: Int
    /// Messages waiting in the queue.
    public var queuedMessages: Int
    /// Messages held for ETRN/ATRN or by the operator.
    public var heldMessages: Int

    public init(acceptingMail: Bool, sessions: Int, queuedMessages: Int, heldMessages: Int) {
        self.acceptingMail = acceptingMail
        self.sessions = sessions
        self.queuedMessages = queuedMessages
        self.heldMessages = heldMessages
    }
}
