/// The name a client gave in EHLO or HELO as a `Received:` field records it (RFC 5321 §4.4,
/// docs/behaviour.md §11): a domain or an address literal as given; anything else with every
/// octet other than a letter, a digit, `-`, `.` or `_` written `%XX`, so that no space, TAB,
/// parenthesis, CR or LF in it can pass for another clause or a comment of the field.
public enum HelloName {
    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// `name` as a trace field may carry it.
    public static func recordable(_ name: String) -> String {
        if (try? AddressParser.domain(Substring(name))) != nil { return name }
        var escaped: [UInt8] = []
        for byte in name.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
                escaped.append(byte)
            default:
                escaped += [UInt8(ascii: "%"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]]
            }
        }
        return String(decoding: escaped, as: UTF8.self)
    }
}
