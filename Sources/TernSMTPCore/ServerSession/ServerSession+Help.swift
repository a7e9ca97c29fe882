/// EHLO keywords and HELP texts, derived from what this session can do (docs/behaviour.md §2.1, §3).
extension ServerSession {
    /// The EHLO keywords, in docs/behaviour.md §2.1's order, of what works in this version and state.
    var extensionKeywords: [String] {
        if configuration.role == .odmr {
            var keywords: [String] = []
            if !offeredMechanisms.isEmpty { keywords.append((["AUTH"] + offeredMechanisms).joined(separator: " ")) }
            keywords += ["ATRN", "ENHANCEDSTATUSCODES"]
            if offersStartTLS { keywords.append("STARTTLS") }
            return keywords
        }
        var keywords = ["PIPELINING", "SIZE \(configuration.messageSizeLimit)", "8BITMIME", "SMTPUTF8",
                        "ENHANCEDSTATUSCODES", "CHUNKING", "DSN"]
        if configuration.offersCheckpoint { keywords.append("CHECKPOINT") }
        if configuration.role == .mx { keywords.append("ETRN") }
        if offersStartTLS { keywords.append("STARTTLS") }
        if offersAuth { keywords.append((["AUTH"] + offeredMechanisms).joined(separator: " ")) }
        keywords.append("HELP")
        return keywords
    }

    /// STARTTLS is offered with a certificate, on `mx` and `submission`, until TLS is active.
    var offersStartTLS: Bool { configuration.tlsAvailable && configuration.role != .smtps && !tlsActive }

    /// AUTH is offered inside TLS, or without it when the configuration allows.
    var offersAuth: Bool { !configuration.authMechanisms.isEmpty && (tlsActive || !configuration.authRequiresTLS) }

    /// The configured mechanisms in docs/behaviour.md §2.1's order: on `odmr` the ones safe without TLS
    /// first, PLAIN and LOGIN only inside TLS.
    var offeredMechanisms: [String] {
        guard configuration.role == .odmr else {
            return ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"].filter(configuration.authMechanisms.contains)
        }
        let order = tlsActive ? ["CRAM-MD5", "SCRAM-SHA-256", "PLAIN", "LOGIN"] : ["CRAM-MD5", "SCRAM-SHA-256"]
        return order.filter(configuration.authMechanisms.contains)
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
        (.startTLS, "STARTTLS"),
        (.auth, "AUTH <mechanism> [<initial-response>]"),
        (.etrn, "ETRN [@|#]<node>"),
    ]

    /// The commands this listener accepts, with their syntax.
    var acceptedCommands: [(Verb, String)] {
        Self.commandSyntax.filter { verb, _ in
            switch verb {
            case .startTLS: configuration.tlsAvailable && configuration.role != .smtps
            case .auth: !configuration.authMechanisms.isEmpty
            case .etrn: configuration.role == .mx
            default: true
            }
        }
    }

    mutating func help(_ argument: String) -> [ServerAction] {
        let topic = argument.uppercased()
        if topic.isEmpty {
            return send(.help(host, commands: acceptedCommands.map(\.0.rawValue)))
        }
        if topic == "STATUS" {
            phase = .awaiting(.reply)
            return [.ask(.status)]
        }
        if let syntax = acceptedCommands.first(where: { $0.0.rawValue == topic })?.1 {
            return send(.helpTopic(syntax))
        }
        return send(.noHelp(argument))
    }
}
