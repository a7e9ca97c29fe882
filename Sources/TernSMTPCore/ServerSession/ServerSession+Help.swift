/// EHLO keywords and HELP texts, derived from what this session can do (SPEC.md §2.1, §3).
extension ServerSession {
    /// The EHLO keywords, in SPEC.md §2.1's order, of what works in this version.
    var extensionKeywords: [String] {
        ["PIPELINING", "SIZE \(configuration.messageSizeLimit)", "8BITMIME", "SMTPUTF8",
         "ENHANCEDSTATUSCODES", "CHUNKING", "DSN", "HELP"]
    }

    /// The syntax of each command this listener accepts, for HELP.
    static let commandSyntax: [(Verb, String)] = [
        (.ehlo, "EHLO <domain>"),
        (.helo, "HELO <domain>"),
        (.mail, "MAIL FROM:<reverse-path> [SIZE= BODY= SMTPUTF8 RET= ENVID= TRANSID= AUTH=]"),
        (.rcpt, "RCPT TO:<forward-path> [NOTIFY= ORCPT=]"),
        (.data, "DATA"),
        (.bdat, "BDAT <chunk-size> [LAST]"),
        (.rset, "RSET"),
        (.noop, "NOOP [<string>]"),
        (.quit, "QUIT"),
        (.vrfy, "VRFY <address>"),
        (.help, "HELP [<command> | STATUS]"),
    ]

    mutating func help(_ argument: String) -> [ServerAction] {
        let topic = argument.uppercased()
        if topic.isEmpty {
            return send(.help(host, commands: Self.commandSyntax.map(\.0.rawValue)))
        }
        if topic == "STATUS" {
            phase = .awaiting(.reply)
            return [.ask(.status)]
        }
        if let syntax = Self.commandSyntax.first(where: { $0.0.rawValue == topic })?.1 {
            return send(.helpTopic(syntax))
        }
        return send(.noHelp(argument))
    }
}
