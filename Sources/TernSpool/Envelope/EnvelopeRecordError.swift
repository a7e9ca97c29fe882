/// Why an envelope record could not be read. A record that fails this way is quarantined.
package enum EnvelopeRecordError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The first line is not a version this build reads.
    case unsupportedVersion(String)
    /// The record does not end with an `END` line: it was cut short.
    case missingEnd
    /// The checksum on the `END` line does not match the record.
    case checksumMismatch
    /// A line (1-based) is not `key: value`, has an unknown or repeated key, or a bad value.
    case badField(line: Int, key: String)
    /// A required field is absent; for a recipient field, the recipient's 1-based index is given.
    case missingField(String, recipient: Int?)

    /// A short explanation for logs.
    package var description: String {
        switch self {
        case .unsupportedVersion(let line): "unsupported envelope version \"\(line.prefix(40))\""
        case .missingEnd: "envelope record has no END line"
        case .checksumMismatch: "envelope record checksum mismatch"
        case .badField(let line, let key): "bad envelope field \"\(key.prefix(40))\" on line \(line)"
        case .missingField(let key, nil): "envelope record lacks \"\(key)\""
        case .missingField(let key, let recipient?): "recipient \(recipient) of envelope record lacks \"\(key)\""
        }
    }
}
