/// The verb of a command line, recognised case-insensitively (docs/behaviour.md §0.4).
public enum Verb: String, Hashable, Sendable, CaseIterable {
    case ehlo = "EHLO", helo = "HELO", mail = "MAIL", rcpt = "RCPT", data = "DATA", bdat = "BDAT"
    case rset = "RSET", noop = "NOOP", quit = "QUIT", vrfy = "VRFY", help = "HELP"
    case startTLS = "STARTTLS", auth = "AUTH", etrn = "ETRN", atrn = "ATRN"
    /// Obsolete or deliberately unimplemented: always 502 5.5.1.
    case expn = "EXPN", turn = "TURN", send = "SEND", soml = "SOML", saml = "SAML"

    /// Verbs that are never implemented (TURN hands mail to an unauthenticated peer; EXPN leaks lists).
    public var isRefused: Bool {
        switch self {
        case .expn, .turn, .send, .soml, .saml: true
        default: false
        }
    }
}

/// A command line split into its verb and the rest.
public struct SplitCommandLine: Hashable, Sendable {
    /// The verb as sent (for echoing), upper-cased.
    public var verbText: String
    /// The recognised verb, nil when unknown.
    public var verb: Verb?
    /// Everything after the verb and the first space; empty when there is none.
    public var argument: String
    /// The line had octets above 127 (only allowed in addresses under SMTPUTF8).
    public var hasEightBit: Bool

    /// Splits a line (without its CRLF) into verb and argument.
    public init(_ line: String) {
        let trimmed = line.drop { $0 == " " }
        let verbPart = trimmed.prefix { $0 != " " }
        verbText = verbPart.uppercased()
        verb = Verb(rawValue: verbText)
        var rest = trimmed.dropFirst(verbPart.count)
        if rest.first == " " { rest = rest.dropFirst() }
        argument = String(rest)
        while argument.last == " " { argument.removeLast() }
        hasEightBit = !line.utf8.allSatisfy { $0 < 128 }
    }

    /// True when the line is empty or only spaces.
    public var isEmpty: Bool { verbText.isEmpty }
}
