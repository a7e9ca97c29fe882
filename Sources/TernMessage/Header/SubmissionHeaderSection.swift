/// The header section of a message submitted with `sendmail`, held until it is complete and
/// then written out changed as Postfix's cleanup does for local mail:
/// - `Bcc:` and `Resent-Bcc:` fields are removed, so no recipient sees them;
/// - with `-t`, the addresses of `To:`, `Cc:` and `Bcc:` become recipients (those of the
///   `Resent-` fields instead when any is present);
/// - fields the caller supplies (`From:`, `Date:`, `Message-ID:`) are added when the message
///   lacks them;
/// - a leading mbox `From ` line is dropped.
///
/// The section ends at the first empty line, or at the first line that is neither a field nor
/// a continuation, before which an empty line is then inserted. The input must be normalized
/// text (`SubmissionNormalizer`): every line ends in CRLF. Only the header section is held, and
/// only up to `maximumSize`; everything after it passes straight through.
package struct SubmissionHeaderSection {
    /// Why the submitted text can't be stored.
    package enum Failure: Error, Hashable, Sendable, CustomStringConvertible {
        /// The header section is longer than `maximumSize`.
        case tooLong
        /// A recipient field of `-t` is not an address list.
        case badAddressList(field: String, reason: String)

        /// A short explanation for messages.
        package var description: String {
            switch self {
            case .tooLong: "message header section longer than \(SubmissionHeaderSection.maximumSize) octets"
            case .badAddressList(let field, let reason): "malformed \(field): field: \(reason)"
            }
        }
    }

    /// The longest header section held.
    package static let maximumSize = 1 << 20

    private static let recipientFields = ["to", "cc", "bcc"]
    private static let resentRecipientFields = ["resent-to", "resent-cc", "resent-bcc"]
    private static let hiddenFields: Set<String> = ["bcc", "resent-bcc"]

    private let extractRecipients: Bool
    private let addedFields: [(name: String, value: String)]
    private var buffer: [UInt8] = []
    /// Where the first line not yet classified starts.
    private var scanned = 0
    /// Where each field starts; a field runs to the start of the next one.
    private var fieldStarts: [Int] = []
    private var firstLine = true
    /// The section is complete and was written out; the rest passes through.
    package private(set) var isComplete = false
    /// With `-t`, once complete: the addresses of the recipient fields, as written (bare local
    /// parts included).
    package private(set) var recipients: [String] = []

    /// A section to process.
    ///
    /// - Parameters:
    ///   - extractRecipients: sendmail's `-t`.
    ///   - addedFields: fields to add, in order, when no field of that name is present.
    package init(extractRecipients: Bool, addedFields: [(name: String, value: String)]) {
        self.extractRecipients = extractRecipients
        self.addedFields = addedFields
    }

    /// The text to store now for the next normalized `text`: nothing while the section is
    /// incomplete, then the processed section and what follows it.
    package mutating func process(_ text: [UInt8]) throws(Failure) -> [UInt8] {
        guard !isComplete else { return text }
        buffer.append(contentsOf: text)
        while let lineFeed = buffer[scanned...].firstIndex(of: UInt8(ascii: "\n")) {
            let line = buffer[scanned..<max(scanned, lineFeed - 1)]
            defer { firstLine = false }
            if firstLine && line.starts(with: "From ".utf8) {
                buffer.removeSubrange(..<(lineFeed + 1))
                continue
            }
            if line.isEmpty {
                return try complete(bodyStart: scanned, separated: true)
            } else if !fieldStarts.isEmpty, line.first == UInt8(ascii: " ") || line.first == UInt8(ascii: "\t") {
                // A continuation of the current field.
            } else if Self.fieldName(of: line) != nil {
                fieldStarts.append(scanned)
            } else {
                return try complete(bodyStart: scanned, separated: false)
            }
            scanned = lineFeed + 1
        }
        guard buffer.count <= Self.maximumSize else { throw .tooLong }
        return []
    }

    /// The text to store at the end of the input: the section, if the message has no body.
    package mutating func finish() throws(Failure) -> [UInt8] {
        guard !isComplete else { return [] }
        return try complete(bodyStart: scanned, separated: scanned == buffer.count)
    }

    // Writes out the fields before `bodyStart`, the added ones, an empty line unless the text
    // already has one (`separated`), and everything from `bodyStart` on.
    private mutating func complete(bodyStart: Int, separated: Bool) throws(Failure) -> [UInt8] {
        isComplete = true
        var output: [UInt8] = []
        output.reserveCapacity(buffer.count + 256)
        var present: Set<String> = []
        var recipientValues: [(name: String, value: String)] = []
        for (index, start) in fieldStarts.enumerated() {
            let end = index + 1 < fieldStarts.count ? fieldStarts[index + 1] : bodyStart
            let field = buffer[start..<end]
            guard let name = Self.fieldName(of: field)?.lowercased() else { continue }
            present.insert(name)
            if extractRecipients && (Self.recipientFields + Self.resentRecipientFields).contains(name) {
                recipientValues.append((name, Self.unfoldedValue(of: field)))
            }
            if !Self.hiddenFields.contains(name) { output.append(contentsOf: field) }
        }
        for (name, value) in addedFields where !present.contains(name.lowercased()) {
            output.append(contentsOf: "\(name): \(value)\r\n".utf8)
        }
        if !separated { output.append(contentsOf: "\r\n".utf8) }
        output.append(contentsOf: buffer[bodyStart...])
        buffer = []

        let resent = recipientValues.contains { Self.resentRecipientFields.contains($0.name) }
        for (name, value) in recipientValues where resent == Self.resentRecipientFields.contains(name) {
            do {
                recipients.append(contentsOf: try HeaderAddressList.addresses(in: value))
            } catch {
                throw .badAddressList(field: name, reason: error.reason)
            }
        }
        return output
    }

    //     field-name = 1*ftext ; ftext = %d33-57 / %d59-126, then ":" (obs: WSP before it)
    private static func fieldName(of line: ArraySlice<UInt8>) -> String? {
        let name = line.prefix { (33...126).contains($0) && $0 != UInt8(ascii: ":") }
        guard !name.isEmpty else { return nil }
        let rest = line[name.endIndex...].drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        guard rest.first == UInt8(ascii: ":") else { return nil }
        return String(decoding: name, as: UTF8.self)
    }

    // The text after the colon with the line breaks of folding removed (RFC 5322 §2.2.3).
    private static func unfoldedValue(of field: ArraySlice<UInt8>) -> String {
        guard let colon = field.firstIndex(of: UInt8(ascii: ":")) else { return "" }
        var value: [UInt8] = []
        for byte in field[(colon + 1)...] where byte != UInt8(ascii: "\r") && byte != UInt8(ascii: "\n") {
            value.append(byte)
        }
        return String(decoding: value, as: UTF8.self)
    }
}
