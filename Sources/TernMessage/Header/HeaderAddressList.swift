/// The addresses of a `To:`, `Cc:` or `Bcc:` field, for `sendmail -t` (RFC 5322 §3.4).
///
///     address-list = (address *("," address))
///     address      = mailbox / group
///     mailbox      = name-addr / addr-spec
///     name-addr    = [display-name] angle-addr
///     angle-addr   = [CFWS] "<" addr-spec ">" [CFWS]      (obs-route "@a,@b:" dropped)
///     group        = display-name ":" [group-list] ";" [CFWS]
///
/// Display names and comments are dropped, groups contribute their members (an empty group
/// such as `undisclosed-recipients:;` none), and white space around the dots and the `@` of
/// an address is allowed, as the obsolete syntax does. An address without `@` is returned as a
/// bare local part for the caller to qualify, as sendmail does.
package enum HeaderAddressList {
    /// Why a field's value is not an address list.
    package struct Malformed: Error, Hashable, Sendable, CustomStringConvertible {
        /// What is wrong.
        package var reason: String
        /// A short explanation for messages.
        package var description: String { reason }
    }

    private enum Token: Equatable {
        /// An atom, a quoted string (with its quotes) or a domain literal (with its brackets).
        case word(String)
        /// One of `< > , : ; @ .`.
        case special(Unicode.Scalar)
    }

    /// The addresses of an unfolded field value, in order: `local@domain`, or a bare local
    /// part, with quoted strings and domain literals kept as written.
    package static func addresses(in value: String) throws(Malformed) -> [String] {
        var addresses: [String] = []
        var phrase: [Token] = []
        var angle: [Token]?
        var inAngle = false
        var inGroup = false

        func finish() throws(Malformed) {
            defer { (phrase, angle) = ([], nil) }
            if let angle {
                addresses.append(try addrSpec(angle))
            } else if !phrase.isEmpty {
                addresses.append(try addrSpec(phrase))
            }
        }

        for token in try tokens(value) {
            if inAngle {
                switch token {
                case .special(">"): inAngle = false
                case .special("<"): throw Malformed(reason: "\"<\" inside an angle address")
                default: angle?.append(token)
                }
                continue
            }
            switch token {
            case .special("<"):
                guard angle == nil else { throw Malformed(reason: "two angle addresses in one address") }
                angle = []
                inAngle = true
                phrase = []
            case .special(","):
                try finish()
            case .special(":"):
                guard !inGroup, angle == nil else { throw Malformed(reason: "unexpected \":\"") }
                inGroup = true
                phrase = []
            case .special(";"):
                guard inGroup else { throw Malformed(reason: "\";\" outside a group") }
                try finish()
                inGroup = false
            case .special(">"):
                throw Malformed(reason: "\">\" without \"<\"")
            default:
                guard angle == nil else { throw Malformed(reason: "text after an angle address") }
                phrase.append(token)
            }
        }
        guard !inAngle else { throw Malformed(reason: "unterminated angle address") }
        try finish()
        return addresses
    }

    //     addr-spec = local-part "@" domain
    //     local-part = dot-atom / quoted-string / obs-local-part (word *("." word))
    //     domain = dot-atom / domain-literal / obs-domain (atom *("." atom))
    private static func addrSpec(_ tokens: [Token]) throws(Malformed) -> String {
        var tokens = tokens[...]
        if tokens.first == .special("@"), let colon = tokens.firstIndex(of: .special(":")) {
            tokens = tokens[(colon + 1)...]
        }
        guard !tokens.isEmpty else { throw Malformed(reason: "empty address") }
        let at = tokens.firstIndex(of: .special("@"))
        let local = try dotted(tokens[..<(at ?? tokens.endIndex)], what: "local part")
        guard let at else { return local }
        return local + "@" + (try dotted(tokens[(at + 1)...], what: "domain"))
    }

    // Words separated by single dots: `a.b.c`.
    private static func dotted(_ tokens: ArraySlice<Token>, what: String) throws(Malformed) -> String {
        var text = ""
        var expectWord = true
        for token in tokens {
            switch (token, expectWord) {
            case (.word(let word), true): text += word
            case (.special("."), false): text += "."
            default: throw Malformed(reason: "malformed \(what)")
            }
            expectWord.toggle()
        }
        guard !text.isEmpty, !expectWord else { throw Malformed(reason: "malformed \(what)") }
        return text
    }

    private static func tokens(_ value: String) throws(Malformed) -> [Token] {
        let scalars = Array(value.unicodeScalars)
        var tokens: [Token] = []
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            switch scalar {
            case " ", "\t", "\r", "\n":
                index += 1
            case "(":
                index = try skipComment(scalars, from: index)
            case "\"":
                let end = try closing("\"", in: scalars, from: index, what: "quoted string")
                tokens.append(.word(String(String.UnicodeScalarView(scalars[index...end]))))
                index = end + 1
            case "[":
                let end = try closing("]", in: scalars, from: index, what: "domain literal")
                tokens.append(.word(String(String.UnicodeScalarView(scalars[index...end]))))
                index = end + 1
            case "<", ">", ",", ":", ";", "@", ".":
                tokens.append(.special(scalar))
                index += 1
            case ")", "]", "\\":
                throw Malformed(reason: "unexpected \"\(scalar)\"")
            default:
                let start = index
                while index < scalars.count, !isDelimiter(scalars[index]) { index += 1 }
                tokens.append(.word(String(String.UnicodeScalarView(scalars[start..<index]))))
            }
        }
        return tokens
    }

    private static func isDelimiter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case " ", "\t", "\r", "\n", "(", ")", "\"", "[", "]", "\\", "<", ">", ",", ":", ";", "@", ".": true
        default: false
        }
    }

    // The index of the `close` that ends the quoted string or literal opened at `start`;
    // a backslash escapes the next character.
    private static func closing(
        _ close: Unicode.Scalar, in scalars: [Unicode.Scalar], from start: Int, what: String
    ) throws(Malformed) -> Int {
        var index = start + 1
        while index < scalars.count {
            switch scalars[index] {
            case "\\": index += 2
            case close: return index
            default: index += 1
            }
        }
        throw Malformed(reason: "unterminated \(what)")
    }

    // The index after the comment opened at `start`; comments nest (RFC 5322 §3.2.2).
    private static func skipComment(_ scalars: [Unicode.Scalar], from start: Int) throws(Malformed) -> Int {
        var depth = 0
        var index = start
        while index < scalars.count {
            switch scalars[index] {
            case "\\": index += 1
            case "(": depth += 1
            case ")":
                depth -= 1
                if depth == 0 { return index + 1 }
            default: break
            }
            index += 1
        }
        throw Malformed(reason: "unterminated comment")
    }
}
