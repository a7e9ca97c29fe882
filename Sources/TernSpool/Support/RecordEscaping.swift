/// Percent-escaping for envelope record values, so any character fits on one `key: value` line
/// while UTF-8 text stays readable.
package enum RecordEscaping {
    /// Which bytes a value must escape besides control characters, DEL and `%`.
    package enum Context {
        /// Free text, such as a failure reason: spaces stay as they are.
        case text
        /// Part of a structured value (a mailbox, an ORCPT type): also the separators
        /// space, `@`, `<`, `>`, `[`, `]`, `;` and `,`.
        case token
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)
    private static let tokenSeparators = Set(" @<>[];,".utf8)

    /// `value` with the bytes `context` forbids written as `%XX`.
    package static func escape(_ value: String, _ context: Context) -> String {
        var escaped: [UInt8] = []
        escaped.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            if byte < 0x20 || byte == 0x7F || byte == UInt8(ascii: "%")
                || (context == .token && tokenSeparators.contains(byte))
            {
                escaped.append(contentsOf: [UInt8(ascii: "%"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]])
            } else {
                escaped.append(byte)
            }
        }
        return String(decoding: escaped, as: UTF8.self)
    }

    /// The original value, or nil if an escape is malformed or the result is not UTF-8.
    package static func unescape(_ value: Substring) -> String? {
        var bytes: [UInt8] = []
        var input = value.utf8.makeIterator()
        while let byte = input.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = input.next().flatMap(hexValue), let low = input.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        return text.utf8.elementsEqual(bytes) ? text : nil
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
