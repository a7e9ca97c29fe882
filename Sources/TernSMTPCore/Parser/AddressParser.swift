/// Why an address didn't parse.
public enum AddressError: Error, Hashable, Sendable {
    /// Not a valid RFC 5321 mailbox.
    case syntax
    /// Octets above 127 without SMTPUTF8.
    case nonASCII
}

/// The RFC 5321 §4.1.2 address grammar, with RFC 6531's UTF-8 extension.
public enum AddressParser {
    /// Parses a mailbox written without brackets: `user@example.com`, `"a b"@[192.0.2.1]`.
    ///
    ///     Mailbox = Local-part "@" ( Domain / address-literal )
    ///
    /// Lengths as RFC 5321 §4.5.3.1 and docs/behaviour.md §6 limit them, in octets as written: local part
    /// ≤ 64, domain ≤ 255, the whole mailbox ≤ 256; longer is bad syntax.
    public static func mailbox(_ text: Substring, utf8: Bool) throws(AddressError) -> Mailbox {
        if !utf8 && !text.utf8.allSatisfy({ $0 < 128 }) { throw .nonASCII }
        guard text.utf8.count <= pathLimit else { throw .syntax }
        var scanner = Scanner(text)
        let local = try localPart(&scanner)
        guard scanner.take("@") else { throw .syntax }
        let domain = try domain(&scanner)
        guard scanner.isAtEnd else { throw .syntax }
        let domainLength = domain.description.utf8.count
        guard domainLength <= domainLimit, text.utf8.count - domainLength - 1 <= localPartLimit else { throw .syntax }
        return Mailbox(localPart: local, domain: domain)
    }

    /// The longest local part, domain and path (between `<` and `>`), in octets (RFC 5321 §4.5.3.1).
    public static let localPartLimit = 64
    public static let domainLimit = 255
    public static let pathLimit = 256

    /// Parses the inside of a path's brackets, dropping a source route.
    ///
    ///     Path = "<" [ A-d-l ":" ] Mailbox ">"
    ///     A-d-l = At-domain *( "," At-domain )
    ///     At-domain = "@" Domain
    public static func pathContent(_ text: Substring, utf8: Bool) throws(AddressError) -> Mailbox {
        guard text.utf8.count <= pathLimit else { throw .syntax }
        var rest = text
        if rest.first == "@" {
            guard let colon = rest.firstIndex(of: ":") else { throw .syntax }
            for hop in rest[..<colon].split(separator: ",", omittingEmptySubsequences: false) {
                guard hop.first == "@" else { throw .syntax }
                var scanner = Scanner(hop.dropFirst())
                _ = try domain(&scanner)
                guard scanner.isAtEnd else { throw .syntax }
            }
            rest = rest[rest.index(after: colon)...]
        }
        return try mailbox(rest, utf8: utf8)
    }

    /// Parses a domain or address literal standing alone (`example.com`, `[192.0.2.1]`).
    public static func domain(_ text: Substring) throws(AddressError) -> Domain {
        var scanner = Scanner(text)
        let result = try domain(&scanner)
        guard scanner.isAtEnd else { throw .syntax }
        return result
    }

    //     Local-part = Dot-string / Quoted-string
    //     Dot-string = Atom *("." Atom)
    //     Quoted-string = DQUOTE *QcontentSMTP DQUOTE
    private static func localPart(_ s: inout Scanner) throws(AddressError) -> String {
        if s.take("\"") {
            var value = ""
            while let c = s.next() {
                switch c {
                case "\"":
                    return value
                case "\\":
                    guard let escaped = s.next(), escaped.value >= 32, escaped.value != 127 else { throw .syntax }
                    value.unicodeScalars.append(escaped)
                default:
                    // qtextSMTP, or UTF8-non-ascii under SMTPUTF8 (RFC 6531 §3.3)
                    guard c.value < 128 ? c.value >= 32 && c.value != 127 : MailboxCharacters.isUTF8NonASCII(c) else {
                        throw .syntax
                    }
                    value.unicodeScalars.append(c)
                }
            }
            throw .syntax
        }
        var value = ""
        var atomLength = 0
        while let c = s.peek(), c != "@" {
            s.advance()
            if c == "." {
                guard atomLength > 0 else { throw .syntax }
                atomLength = 0
            } else {
                guard MailboxCharacters.isAtext(c) || MailboxCharacters.isUTF8NonASCII(c) else { throw .syntax }
                atomLength += 1
            }
            value.unicodeScalars.append(c)
        }
        guard atomLength > 0 else { throw .syntax }
        return value
    }

    //     Domain = sub-domain *("." sub-domain)
    //     sub-domain = Let-dig [Ldh-str]        (U-label under SMTPUTF8)
    //     address-literal = "[" ( IPv4-address-literal / IPv6-address-literal / General-address-literal ) "]"
    private static func domain(_ s: inout Scanner) throws(AddressError) -> Domain {
        if s.take("[") {
            var literal = ""
            while let c = s.next() {
                if c == "]" {
                    guard isValidLiteral(literal) else { throw .syntax }
                    return .addressLiteral(literal)
                }
                literal.unicodeScalars.append(c)
            }
            throw .syntax
        }
        var name = ""
        var label: [Unicode.Scalar] = []
        func closeLabel() throws(AddressError) {
            guard let first = label.first, let last = label.last, first != "-", last != "-" else { throw .syntax }
        }
        while let c = s.peek() {
            guard c == "." || c == "-" || isLetDig(c) || MailboxCharacters.isUTF8NonASCII(c) else { break }
            s.advance()
            if c == "." {
                try closeLabel()
                label.removeAll()
            } else {
                label.append(c)
            }
            name.unicodeScalars.append(c)
        }
        try closeLabel()
        return .name(name)
    }

    private static func isLetDig(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "a"..."z", "A"..."Z", "0"..."9": true
        default: false
        }
    }

    //     IPv4-address-literal = Snum 3("." Snum)
    //     IPv6-address-literal = "IPv6:" IPv6-addr
    //     General-address-literal = Standardized-tag ":" 1*dcontent
    private static func isValidLiteral(_ literal: String) -> Bool {
        let parts = literal.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4, parts.allSatisfy({ $0.count <= 3 && UInt8($0) != nil }) { return true }
        guard let colon = literal.firstIndex(of: ":") else { return false }
        let tag = literal[..<colon]
        let content = literal[literal.index(after: colon)...]
        guard !tag.isEmpty, !content.isEmpty,
              tag.unicodeScalars.allSatisfy({ isLetDig($0) || $0 == "-" }), tag.last != "-" else { return false }
        if tag.lowercased() == "ipv6" {
            return content.unicodeScalars.allSatisfy { $0.properties.isASCIIHexDigit || $0 == ":" || $0 == "." }
                && content.contains(":")
        }
        return content.unicodeScalars.allSatisfy { (33...90).contains($0.value) || (94...126).contains($0.value) }
    }
}

/// A cursor over the Unicode scalars of a substring.
struct Scanner {
    private let scalars: Substring.UnicodeScalarView
    private var index: Substring.UnicodeScalarView.Index

    init(_ text: Substring) {
        scalars = text.unicodeScalars
        index = scalars.startIndex
    }

    var isAtEnd: Bool { index == scalars.endIndex }

    func peek() -> Unicode.Scalar? { isAtEnd ? nil : scalars[index] }

    mutating func advance() { index = scalars.index(after: index) }

    mutating func next() -> Unicode.Scalar? {
        guard let c = peek() else { return nil }
        advance()
        return c
    }

    mutating func take(_ c: Unicode.Scalar) -> Bool {
        guard peek() == c else { return false }
        advance()
        return true
    }
}
