/// Why a maildrop file could not be read. The pickup moves such a file to `maildrop.corrupt/`.
package enum MaildropError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The first line is not a version this build reads.
    case unsupportedVersion(String)
    /// The file ends before the blank line that closes its header.
    case unterminatedHeader
    /// The header is longer than `MaildropHeader.maximumSize`.
    case headerTooLong
    /// A header line (1-based) is not `key: value`, or has an unknown or repeated key, or a bad value.
    case badField(line: Int, key: String)
    /// A required header field is absent.
    case missingField(String)
    /// Not a regular file with a single name (a FIFO, a device, a hard link to another file):
    /// the folder is writable by every local user, so only what they wrote themselves is read.
    case notAPlainFile
    /// The message text is longer than `limits.message_size`.
    case tooLarge(Int)

    /// A short explanation for logs.
    package var description: String {
        switch self {
        case .unsupportedVersion(let line): "unsupported maildrop version \"\(line.prefix(40))\""
        case .unterminatedHeader: "maildrop file ends inside its header"
        case .headerTooLong: "maildrop header longer than \(MaildropHeader.maximumSize) octets"
        case .badField(let line, let key): "bad maildrop field \"\(key.prefix(40))\" on line \(line)"
        case .missingField(let key): "maildrop header lacks \"\(key)\""
        case .notAPlainFile: "not a regular file with a single link"
        case .tooLarge(let limit): "message larger than \(limit) octets"
        }
    }
}
