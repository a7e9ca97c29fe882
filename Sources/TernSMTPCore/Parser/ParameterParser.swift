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
        var out = ""
        var scalars = text.unicodeScalars.makeIterator()
        while let c = scalars.next() {
            if c == "+" {
                guard let h = scalars.next(), let l = scalars.next(),
                      let value = UInt8(String([Character(h), Character(l)]), radix: 16),
                      String([Character(h), Character(l)]).uppercased() == String([Character(h), Character(l)]) else { return nil }
                out.unicodeScalars.append(Unicode.Scalar(value))
            } else {
                guard (33...126).contains(c.value), c != "=" else { return nil }
                out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
