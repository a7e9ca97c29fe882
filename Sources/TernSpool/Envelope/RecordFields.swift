/// The `key: value` lines of one section of an envelope record (the message, or one recipient),
/// with the line each came from so errors can point at it.
struct RecordFields {
    private var values: [String: (line: Int, value: Substring)] = [:]
    private let allowedKeys: Set<String>
    private let recipient: Int?

    /// A section accepting `allowedKeys`; `recipient` is its 1-based index, nil for the message.
    init(allowedKeys: Set<String>, recipient: Int?) {
        self.allowedKeys = allowedKeys
        self.recipient = recipient
    }

    /// Whether `key` belongs to this section.
    func accepts(_ key: String) -> Bool {
        allowedKeys.contains(key)
    }

    /// Records a field; a repeated key is an error.
    mutating func add(_ key: String, _ value: Substring, line: Int) throws(EnvelopeRecordError) {
        guard accepts(key), values[key] == nil else { throw .badField(line: line, key: key) }
        values[key] = (line, value)
    }

    /// The parsed value of a field that must be present.
    func required<Value>(_ key: String, _ parse: (Substring) -> Value?) throws(EnvelopeRecordError) -> Value {
        guard let value = try optional(key, parse) else { throw .missingField(key, recipient: recipient) }
        return value
    }

    /// The parsed value of a field, or nil when it is absent.
    func optional<Value>(_ key: String, _ parse: (Substring) -> Value?) throws(EnvelopeRecordError) -> Value? {
        guard let field = values[key] else { return nil }
        guard let value = parse(field.value) else { throw .badField(line: field.line, key: key) }
        return value
    }
}
