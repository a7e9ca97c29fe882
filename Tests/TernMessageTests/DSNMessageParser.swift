import Foundation

/// A small MIME reader for the tests: a header section with folded lines joined again, a body,
/// and the body parts of a multipart body. It checks nothing itself; the tests check what it
/// finds.
struct DSNMessageParser {
    /// The header fields in order, names as written, values unfolded (RFC 5322 §2.2.3) and
    /// without the space after the colon.
    let fields: [(name: String, value: String)]
    /// The raw header lines, folded as they were written.
    let rawHeaderLines: [String]
    /// Everything after the empty line that ends the header section.
    let body: String

    init(_ text: String) {
        let headerEnd = text.range(of: "\r\n\r\n")
        let header = headerEnd.map { String(text[..<$0.lowerBound]) } ?? text
        body = headerEnd.map { String(text[$0.upperBound...]) } ?? ""
        rawHeaderLines = header.isEmpty ? [] : header.components(separatedBy: "\r\n")
        var fields: [(name: String, value: String)] = []
        for line in rawHeaderLines {
            if line.hasPrefix(" ") || line.hasPrefix("\t"), let last = fields.popLast() {
                fields.append((last.name, last.value + line))
            } else if let colon = line.firstIndex(of: ":") {
                let value = line[line.index(after: colon)...]
                fields.append((String(line[..<colon]), String(value.hasPrefix(" ") ? value.dropFirst() : value)))
            }
        }
        self.fields = fields
    }

    /// The value of the first field called `name`, in any case.
    func field(_ name: String) -> String? {
        fields.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The values of every field called `name`.
    func values(_ name: String) -> [String] {
        fields.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    /// The `boundary` parameter of `Content-Type`, unquoted.
    var boundary: String? {
        guard let contentType = field("Content-Type"), let start = contentType.range(of: "boundary=\"") else {
            return nil
        }
        let rest = contentType[start.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    /// The body split at `--boundary` delimiter lines (RFC 2046 §5.1.1): the preamble, the parts,
    /// and whether the closing delimiter came. Each delimiter takes the CRLF before it (one
    /// `Character` in Swift).
    func multipart() -> (preamble: String, parts: [DSNMessageParser], closed: Bool)? {
        guard let boundary else { return nil }
        let pieces = ("\r\n" + body).components(separatedBy: "\r\n--\(boundary)")
        guard pieces.count >= 3 else { return nil }
        var parts: [DSNMessageParser] = []
        var closed = false
        for piece in pieces.dropFirst() {
            if piece.hasPrefix("--") {
                closed = piece == "--\r\n"
                break
            }
            guard piece.hasPrefix("\r\n") else { return nil }
            parts.append(DSNMessageParser(String(piece.dropFirst("\r\n".count))))
        }
        return (String(pieces[0].dropFirst("\r\n".count)), parts, closed)
    }

    /// A `message/delivery-status` body as its groups of fields: the per-message group first,
    /// then one group per recipient.
    var statusGroups: [DSNMessageParser] {
        body.components(separatedBy: "\r\n\r\n").filter { !$0.isEmpty }.map { DSNMessageParser($0 + "\r\n\r\n") }
    }
}
