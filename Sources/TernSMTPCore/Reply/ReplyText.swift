/// Makes client input safe to echo in a reply: printable ASCII only (UTF-8 letters too when
/// `utf8` is set), everything else replaced by `?`, cut to `limit` characters.
package enum ReplyText {
    package static func echo(_ text: String, limit: Int = .max, utf8: Bool = false) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(limit) {
            let printable = (scalar.value >= 0x20 && scalar.value < 0x7F) || (utf8 && scalar.value > 0x9F && scalar != "\u{FFFD}")
            out.unicodeScalars.append(printable ? scalar : "?")
        }
        return out
    }
}
