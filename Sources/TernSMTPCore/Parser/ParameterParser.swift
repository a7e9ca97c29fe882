/// Splits and checks ESMTP parameters (RFC 5321 §4.1.2).
///
///     Mail-parameters = esmtp-param *(SP esmtp-param)
///     esmtp-param     = esmtp-keyword ["=" esmtp-value]
///     esmtp-keyword   = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
///     esmtp-value     = 1*(%d33-60 / %d62-126)          ; UTF-8 too under SMTPUTF8 (RFC 6531)
enum ParameterParser {
    /// One `KEYWORD[=value]`, the keyword upper-cased.
    struct Parameter {
        var keyword: String
        var value: Substring?
    }

    /// Splits the text after the path into parameters; a malformed or repeated one is a 501.
    static func split(_ text: Substring) throws(Reply) -> [Parameter] {
        var seen = Set<String>()
        var result: [Parameter] = []
        for word in text.split(separator: " ") {
            let keyword: Substring
            var value: Substring?
            if let equals = word.firstIndex(of: "=") {
                keyword = word[..<equals]
                value = word[word.index(after: equals)...]
            } else {
                keyword = word
            }
            guard let first = keyword.unicodeScalars.first, isAlphaNum(first),
                  keyword.unicodeScalars.allSatisfy({ isAlphaNum($0) || $0 == "-" }) else {
                throw Reply.parameterSyntax(String(keyword))
            }
            let upper = keyword.uppercased()
            if let value, value.isEmpty || !value.unicodeScalars.allSatisfy({ ($0.value > 32 && $0 != "=" && $0.value != 127) }) {
                throw Reply.parameterSyntax(upper)
            }
            guard seen.insert(upper).inserted else { throw Reply.parameterSyntax(upper) }
            result.append(Parameter(keyword: upper, value: value))
        }
        return result
    }

    private static func isAlphaNum(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "a"..."z", "A"..."Z", "0"..."9": true
        default: false
        }
    }

    /// Decodes RFC 3461 xtext: `+XX` hex escapes, printable ASCII otherwise, no `+` or `=` bare.
    ///
    ///     xtext = *( xchar / hexchar )
    ///     xchar = any ASCII CHAR between "!" (33) and "~" (126) inclusive, except for "+" and "="
    ///     hexchar = "+" 2(%x30-39 / %x41-46)
    static func xtext(_ text: Substring) -> String? {
        var octets: [UInt8] = []
        var input = text.utf8.makeIterator()
        while let c = input.next() {
            if c == UInt8(ascii: "+") {
                guard let high = input.next().flatMap(upperHexValue), let low = input.next().flatMap(upperHexValue) else {
                    return nil
                }
                octets.append(high << 4 | low)
            } else {
                guard (33...126).contains(c), c != UInt8(ascii: "=") else { return nil }
                octets.append(c)
            }
        }
        // `+XX` escapes are octets: a UTF-8 value arrives as several of them.
        return String(validating: octets, as: UTF8.self)
    }

    private static func upperHexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

}
