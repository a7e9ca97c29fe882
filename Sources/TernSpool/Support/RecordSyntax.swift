import Foundation
package import TernSMTPCore

/// What the spool's text records (envelopes, maildrop headers) share: `key: value` lines and
/// paths in angle brackets.
package enum RecordSyntax {
    /// A line that is not `key: value`, with its number and what stands before its colon.
    package struct BadLine: Error {
        package let line: Int
        package let key: String
    }

    /// The `key: value` lines of `lines`, the first numbered `firstLine`.
    package static func fields<Lines: Sequence>(_ lines: Lines, firstLine: Int) throws(BadLine)
        -> [(line: Int, key: String, value: Substring)] where Lines.Element: Collection<UInt8>
    {
        var fields: [(line: Int, key: String, value: Substring)] = []
        for (offset, lineBytes) in lines.enumerated() {
            let line = String(decoding: lineBytes, as: UTF8.self)
            guard line.utf8.elementsEqual(lineBytes), let separator = line.range(of: ": ") else {
                throw BadLine(line: firstLine + offset, key: String(line.prefix(while: { $0 != ":" })))
            }
            fields.append((firstLine + offset, String(line[..<separator.lowerBound]), line[separator.upperBound...]))
        }
        return fields
    }

    /// `<>` or `<mailbox>`, the mailbox read by `mailbox`.
    package static func reversePath(_ text: Substring, _ mailbox: (Substring) -> Mailbox?) -> ReversePath? {
        guard let inner = bracketed(text) else { return nil }
        if inner.isEmpty { return .null }
        return mailbox(inner).map(ReversePath.mailbox)
    }

    /// `<Postmaster>` or `<mailbox>`, the mailbox read by `mailbox`.
    package static func forwardPath(_ text: Substring, _ mailbox: (Substring) -> Mailbox?) -> ForwardPath? {
        guard let inner = bracketed(text) else { return nil }
        if inner == "Postmaster" { return .postmaster }
        return mailbox(inner).map(ForwardPath.mailbox)
    }

    /// The text between `<` and `>`.
    package static func bracketed(_ text: Substring) -> Substring? {
        guard text.count >= 2, text.first == "<", text.last == ">" else { return nil }
        return text.dropFirst().dropLast()
    }
}
