/// MAIL FROM and RCPT TO, parsed in the order docs/behaviour.md §4 and §5 check them: the command's
/// syntax and its parameters throw here; the address is kept as a result so that the session
/// can report it after checks that come before it (authentication, parameter values).
public struct MailCommand: Sendable, Hashable {
    /// The reverse-path, or why it is refused.
    public var path: Result<ReversePath, AddressError>
    /// The parameters.
    public var parameters: MailParameters
}

/// A parsed `RCPT TO:`.
public struct RcptCommand: Sendable, Hashable {
    /// The forward-path, or why it is refused; `<>` is a syntax error here.
    public var path: Result<ForwardPath, AddressError>
    /// The parameters.
    public var parameters: RcptParameters
}

public enum TransactionCommandParser {
    ///     mail = "MAIL FROM:" Reverse-path [SP Mail-parameters] CRLF
    public static func mail(_ argument: String) throws(Reply) -> MailCommand {
        let (inside, rest) = try pathAndParameters(argument, prefix: "FROM:", syntaxError: .mailSyntax)
        var parameters = MailParameters()
        for parameter in try ParameterParser.split(rest) {
            try apply(parameter, to: &parameters)
        }
        let path: Result<ReversePath, AddressError>
        if inside.isEmpty {
            path = .success(.null)
        } else {
            do throws(AddressError) {
                path = .success(.mailbox(try AddressParser.pathContent(inside, utf8: parameters.smtpUTF8)))
            } catch {
                path = .failure(error)
            }
        }
        return MailCommand(path: path, parameters: parameters)
    }

    ///     rcpt = "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path ) [SP Rcpt-parameters] CRLF
    public static func rcpt(_ argument: String, smtpUTF8: Bool) throws(Reply) -> RcptCommand {
        let (inside, rest) = try pathAndParameters(argument, prefix: "TO:", syntaxError: .rcptSyntax)
        var parameters = RcptParameters()
        for parameter in try ParameterParser.split(rest) {
            try apply(parameter, to: &parameters)
        }
        let path: Result<ForwardPath, AddressError>
        if inside.lowercased() == "postmaster" {
            path = .success(.postmaster)
        } else if inside.isEmpty {
            path = .failure(.syntax)
        } else {
            do throws(AddressError) {
                path = .success(.mailbox(try AddressParser.pathContent(inside, utf8: smtpUTF8)))
            } catch {
                path = .failure(error)
            }
        }
        return RcptCommand(path: path, parameters: parameters)
    }

    /// Splits `FROM:<path> params` into the inside of the brackets and the parameter text.
    /// Spaces after the colon are tolerated; the path ends at the first `>` outside quotes.
    private static func pathAndParameters(
        _ argument: String, prefix: String, syntaxError: Reply
    ) throws(Reply) -> (Substring, Substring) {
        guard argument.count >= prefix.count, argument.prefix(prefix.count).uppercased() == prefix else {
            throw syntaxError
        }
        let afterPrefix = argument.dropFirst(prefix.count).drop { $0 == " " }
        guard afterPrefix.first == "<" else { throw syntaxError }
        var quoted = false
        var escaped = false
        var close: Substring.Index?
        var index = afterPrefix.index(after: afterPrefix.startIndex)
        while index < afterPrefix.endIndex {
            let c = afterPrefix[index]
            if escaped {
                escaped = false
            } else if c == "\\" && quoted {
                escaped = true
            } else if c == "\"" {
                quoted.toggle()
            } else if c == ">" && !quoted {
                close = index
                break
            }
            index = afterPrefix.index(after: index)
        }
        // An unbalanced quote makes a bad mailbox (553), not a malformed command: the path
        // then ends at the first `>`.
        guard let close = close ?? afterPrefix.firstIndex(of: ">") else { throw syntaxError }
        let inside = afterPrefix[afterPrefix.index(after: afterPrefix.startIndex)..<close]
        let rest = afterPrefix[afterPrefix.index(after: close)...]
        guard rest.isEmpty || rest.first == " " else { throw syntaxError }
        return (inside, rest)
    }

    private static func apply(_ p: ParameterParser.Parameter, to parameters: inout MailParameters) throws(Reply) {
        let bad = Reply.parameterSyntax(p.keyword)
        switch p.keyword {
        case "SIZE":
            // RFC 1870: size-value = 1*20DIGIT; a longer number is still a size, just too big.
            guard let value = p.value, value.allSatisfy(\.isASCIIDigit) else { throw bad }
            parameters.size = Int(value) ?? Int.max
        case "BODY":
            guard let value = p.value, let body = BodyType(rawValue: value.uppercased()) else { throw bad }
            parameters.body = body
        case "SMTPUTF8":
            guard p.value == nil else { throw bad }
            parameters.smtpUTF8 = true
        case "RET":
            guard let value = p.value, let ret = DSNReturn(rawValue: value.uppercased()) else { throw bad }
            parameters.ret = ret
        case "ENVID":
            guard let value = p.value, let decoded = ParameterParser.xtext(value),
                  decoded.count <= SMTPDefaults.envelopeIDLimit else { throw bad }
            parameters.envelopeID = decoded
        case "AUTH":
            guard let value = p.value else { throw bad }
            if value == "<>" {
                parameters.auth = "<>"
            } else {
                guard let decoded = ParameterParser.xtext(value) else { throw bad }
                parameters.auth = decoded
            }
        case "TRANSID":
            // RFC 1845: transid-value = "<" transid-local "@" transid-domain ">"
            guard let value = p.value, value.count <= SMTPDefaults.transactionIDLimit,
                  value.first == "<", value.last == ">", value.count > 2 else { throw bad }
            let inner = value.dropFirst().dropLast()
            let parts = inner.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
                  !inner.contains("<"), !inner.contains(">") else { throw bad }
            parameters.transactionID = String(value)
        default:
            throw Reply.unknownParameter("MAIL", p.keyword)
        }
    }

    private static func apply(_ p: ParameterParser.Parameter, to parameters: inout RcptParameters) throws(Reply) {
        let bad = Reply.parameterSyntax(p.keyword)
        switch p.keyword {
        case "NOTIFY":
            // RFC 3461 §4.1: "NEVER" / 1#( "SUCCESS" / "FAILURE" / "DELAY" )
            guard let value = p.value else { throw bad }
            let words = value.uppercased().split(separator: ",", omittingEmptySubsequences: false)
            var notify: NotifyConditions = []
            if words == ["NEVER"] {
                parameters.notify = .never
                return
            }
            for word in words {
                let condition: NotifyConditions
                switch word {
                case "SUCCESS": condition = .success
                case "FAILURE": condition = .failure
                case "DELAY": condition = .delay
                default: throw bad
                }
                guard !notify.contains(condition) else { throw bad }
                notify.insert(condition)
            }
            parameters.notify = notify
        case "ORCPT":
            // RFC 3461 §4.2: addr-type ";" xtext
            guard let value = p.value, let semicolon = value.firstIndex(of: ";") else { throw bad }
            let type = value[..<semicolon]
            guard !type.isEmpty, type.unicodeScalars.allSatisfy({ MailboxCharacters.isAtext($0) }),
                  let address = ParameterParser.xtext(value[value.index(after: semicolon)...]),
                  !address.isEmpty else { throw bad }
            parameters.originalRecipient = OriginalRecipient(addressType: String(type), address: address)
        default:
            throw Reply.unknownParameter("RCPT", p.keyword)
        }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
