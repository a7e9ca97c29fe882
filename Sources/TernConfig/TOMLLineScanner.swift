/// A lenient scanner of TOML source that reports where table headers and keys are.
///
/// TOMLKit checks the syntax and builds the values but does not say on which line a key was;
/// this scanner only runs on source TOMLKit accepted. Keys inside inline tables are not
/// reported: they belong to the line of the key (or array element) that holds the inline table.
struct TOMLLineScanner {
    enum Item {
        /// `[a.b]` (`isArray` false) or `[[a.b]]` (`isArray` true).
        case header(keys: [String], isArray: Bool, line: Int)
        /// `a.b = value`, relative to the current table; when the value is an array, the line
        /// each of its elements starts on.
        case key(keys: [String], line: Int, elementLines: [Int])
    }

    private let bytes: [UInt8]
    private var position = 0
    private var line = 1

    init(_ source: String) {
        bytes = Array(source.utf8)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
    }

    /// The next header or key, nil at the end of the source.
    mutating func next() -> Item? {
        while true {
            skipTrivia()
            guard let byte = current else { return nil }
            let startLine = line
            if byte == UInt8(ascii: "[") {
                let isArray = peek(1) == UInt8(ascii: "[")
                position += isArray ? 2 : 1
                let keys = parseKeys()
                skipToLineEnd()
                if let keys { return .header(keys: keys, isArray: isArray, line: startLine) }
            } else {
                let keys = parseKeys()
                skipBlanks()
                if let keys, current == UInt8(ascii: "=") {
                    position += 1
                    let elementLines = skipValue()
                    return .key(keys: keys, line: startLine, elementLines: elementLines)
                }
                skipToLineEnd()
            }
        }
    }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private func peek(_ offset: Int) -> UInt8? {
        position + offset < bytes.count ? bytes[position + offset] : nil
    }

    private mutating func skipTrivia() {
        while let byte = current {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"): position += 1
            case UInt8(ascii: "\n"): line += 1; position += 1
            case UInt8(ascii: "#"): skipToLineEnd()
            default: return
            }
        }
    }

    private mutating func skipBlanks() {
        while current == UInt8(ascii: " ") || current == UInt8(ascii: "\t") { position += 1 }
    }

    /// Moves to the newline ending this line, without consuming it.
    private mutating func skipToLineEnd() {
        while let byte = current, byte != UInt8(ascii: "\n") { position += 1 }
    }

    /// `key ( "." key )*` with blanks around the dots.
    private mutating func parseKeys() -> [String]? {
        var keys: [String] = []
        while true {
            skipBlanks()
            guard let key = parseSimpleKey() else { return nil }
            keys.append(key)
            skipBlanks()
            guard current == UInt8(ascii: ".") else { return keys }
            position += 1
        }
    }

    private mutating func parseSimpleKey() -> String? {
        switch current {
        case UInt8(ascii: "\""):
            position += 1
            return parseBasicKey()
        case UInt8(ascii: "'"):
            position += 1
            let start = position
            while let byte = current, byte != UInt8(ascii: "'"), byte != UInt8(ascii: "\n") { position += 1 }
            guard current == UInt8(ascii: "'") else { return nil }
            defer { position += 1 }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        default:
            let start = position
            while let byte = current, Self.isBareKeyByte(byte) { position += 1 }
            return position > start ? String(decoding: bytes[start..<position], as: UTF8.self) : nil
        }
    }

    /// The rest of a `"quoted key"`, escapes decoded.
    private mutating func parseBasicKey() -> String? {
        var decoded: [UInt8] = []
        while let byte = current, byte != UInt8(ascii: "\n") {
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: decoded, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let escape = current else { return nil }
                position += 1
                switch escape {
                case UInt8(ascii: "b"): decoded.append(0x08)
                case UInt8(ascii: "t"): decoded.append(0x09)
                case UInt8(ascii: "n"): decoded.append(0x0A)
                case UInt8(ascii: "f"): decoded.append(0x0C)
                case UInt8(ascii: "r"): decoded.append(0x0D)
                case UInt8(ascii: "e"): decoded.append(0x1B)
                case UInt8(ascii: "u"), UInt8(ascii: "U"):
                    let length = escape == UInt8(ascii: "u") ? 4 : 8
                    guard position + length <= bytes.count,
                          let value = UInt32(String(decoding: bytes[position..<position + length], as: UTF8.self), radix: 16),
                          let scalar = Unicode.Scalar(value)
                    else { return nil }
                    position += length
                    decoded.append(contentsOf: Array(String(scalar).utf8))
                default: decoded.append(escape)
                }
            default:
                decoded.append(byte)
            }
        }
        return nil
    }

    /// Skips a value up to the newline that ends it (not consumed): strings, comments and
    /// arrays or inline tables spread over several lines included. Returns the line of each
    /// element when the value is an array.
    private mutating func skipValue() -> [Int] {
        skipBlanks()
        let isArray = current == UInt8(ascii: "[")
        var depth = 0
        var elementLines: [Int] = []
        var expectingElement = false
        while let byte = current {
            if isArray, depth == 1, expectingElement, !Self.separatesElements(byte) {
                elementLines.append(line)
                expectingElement = false
            }
            switch byte {
            case UInt8(ascii: "\n"):
                guard depth > 0 else { return elementLines }
                line += 1
                position += 1
            case UInt8(ascii: "#"):
                skipToLineEnd()
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                let escapes = byte == UInt8(ascii: "\"")
                if peek(1) == byte, peek(2) == byte {
                    position += 3
                    skipMultilineString(delimiter: byte, escapes: escapes)
                } else {
                    position += 1
                    skipString(delimiter: byte, escapes: escapes)
                }
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                position += 1
                if isArray, depth == 1 { expectingElement = true }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth -= 1
                position += 1
            case UInt8(ascii: ","):
                if depth == 1 { expectingElement = true }
                position += 1
            default:
                position += 1
            }
        }
        return elementLines
    }

    /// Bytes that may come between array elements.
    private static func separatesElements(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"),
             UInt8(ascii: ","), UInt8(ascii: "#"), UInt8(ascii: "]"):
            true
        default:
            false
        }
    }

    private mutating func skipString(delimiter: UInt8, escapes: Bool) {
        while let byte = current, byte != UInt8(ascii: "\n") {
            position += escapes && byte == UInt8(ascii: "\\") ? 2 : 1
            if byte == delimiter { return }
        }
    }

    private mutating func skipMultilineString(delimiter: UInt8, escapes: Bool) {
        while let byte = current {
            if escapes, byte == UInt8(ascii: "\\") {
                position += 1
                if current == UInt8(ascii: "\n") { line += 1 }
                position += 1
            } else if byte == delimiter, peek(1) == delimiter, peek(2) == delimiter {
                position += 3
                // Up to two more quotes right before the closing ones belong to the content.
                var extra = 0
                while extra < 2, current == delimiter { position += 1; extra += 1 }
                return
            } else {
                if byte == UInt8(ascii: "\n") { line += 1 }
                position += 1
            }
        }
    }

    private static func isBareKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}
