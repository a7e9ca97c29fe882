import TOMLKit

/// A TOML value copied out of TOMLKit into plain Swift values.
indirect enum TOMLNode {
    case string(String)
    case integer(Int)
    case float(Double)
    case boolean(Bool)
    /// A date, time or date-time, as TOMLKit prints it; no key of Tern takes one.
    case dateTime(String)
    case array([TOMLNode])
    case table(TOMLTableNode)

    init(_ value: any TOMLValueConvertible) {
        switch value.type {
        case .string: self = .string(value.string ?? "")
        case .int: self = .integer(value.int ?? 0)
        case .double: self = .float(value.double ?? 0)
        case .bool: self = .boolean(value.bool ?? false)
        case .date, .time, .dateTime: self = .dateTime(value.debugDescription)
        case .array: self = .array(value.array.map { $0.map(TOMLNode.init) } ?? [])
        case .table: self = .table(value.table.map(TOMLTableNode.init) ?? TOMLTableNode(entries: []))
        }
    }

    /// How the value is quoted in "got ..." messages: strings and scalars as written,
    /// arrays and tables by kind.
    var quoted: String {
        switch self {
        case .string(let text): Self.quote(text)
        case .integer(let value): String(value)
        case .float(let value): String(value)
        case .boolean(let value): String(value)
        case .dateTime(let text): text
        case .array: "an array"
        case .table: "a table"
        }
    }

    /// `text` as a TOML basic string: in double quotes, `"` and `\` escaped.
    static func quote(_ text: String) -> String {
        var quoted = "\""
        for character in text {
            if character == "\"" || character == "\\" { quoted.append("\\") }
            quoted.append(character)
        }
        return quoted + "\""
    }
}

/// A TOML table: its keys in the order TOMLKit gives them.
struct TOMLTableNode {
    struct Entry {
        let key: String
        let value: TOMLNode
    }

    let entries: [Entry]

    init(entries: [Entry]) {
        self.entries = entries
    }

    init(_ table: TOMLTable) {
        entries = table.keys.compactMap { key in table[key].map { Entry(key: key, value: TOMLNode($0)) } }
    }

    subscript(key: String) -> TOMLNode? {
        entries.first { $0.key == key }?.value
    }
}
