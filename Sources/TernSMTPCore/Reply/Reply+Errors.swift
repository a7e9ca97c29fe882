/// Syntax and sequence errors, 500-504 (docs/behaviour.md §0.4, §8).
extension Reply {
    /// `500 5.5.2 Syntax error: line too long`.
    public static let lineTooLong = Reply(500, .permanent(.syntaxError), "Syntax error: line too long")
    /// `500 5.5.2 Syntax error: empty command`.
    public static let emptyCommand = Reply(500, .permanent(.syntaxError), "Syntax error: empty command")
    /// `500 5.5.1 Command not recognized: <VERB>`, the verb cut to 32 printable characters.
    public static func unknownCommand(_ verb: String) -> Reply {
        Reply(500, .permanent(.invalidCommand),
              "Command not recognized: \(ReplyText.echo(verb, limit: SMTPDefaults.echoedVerbLimit))")
    }
    /// `501 5.5.4 Syntax error, no parameters allowed`.
    public static let noParametersAllowed = Reply(501, .permanent(.invalidArguments), "Syntax error, no parameters allowed")
    /// `502 5.5.1 Command not implemented`.
    public static let notImplemented = Reply(502, .permanent(.invalidCommand), "Command not implemented")
    /// `503 5.5.1 Bad sequence of commands: <why>`.
    public static func badSequence(_ why: String) -> Reply {
        Reply(503, .permanent(.invalidCommand), "Bad sequence of commands: \(why)")
    }
    /// `503 5.5.1`: a command that needs HELO/EHLO first.
    public static let sendHelloFirst = badSequence("send HELO/EHLO first")
    /// `504 5.5.4`: a parameter value that isn't implemented.
    public static func parameterNotImplemented(_ what: String) -> Reply {
        Reply(504, .permanent(.invalidArguments), "Command parameter not implemented: \(what)")
    }
    /// `451 4.3.0 Requested action aborted: local error in processing`.
    public static let localError = Reply(451, .persistentTransient(.otherMailSystem),
                                         "Requested action aborted: local error in processing")
    /// `452 4.3.1 Requested action not taken: insufficient system storage`.
    public static let insufficientStorage = Reply(452, .persistentTransient(.mailSystemFull),
                                                  "Requested action not taken: insufficient system storage")
}
