public import NIOCore

/// One SMTP reply: a code, an optional RFC 3463 enhanced code, and one or more lines of text.
///
/// The one type for replies both ways: those Tern sends, and those a peer sent to Tern's client
/// (`ReplyParser` makes them from the wire; `ClientSession` makes a few itself for failures on
/// its own side, `Reply+LocalOutcomes.swift`, never sent).
///
/// Replies are values from the catalogue (`Reply+*.swift`, listed in docs/replies.md); no other
/// code formats reply text.
/// A reply is also an `Error`, so a delegate can refuse a command by throwing the reply to send.
///
/// SeeAlso: RFC 5321 §4.2, RFC 2034.
public struct Reply: ReplyCodeClass, Error, Hashable, Sendable, CustomStringConvertible {
    /// The three-digit reply code.
    public var code: Int
    /// The enhanced status code that starts each line, if the reply carries one.
    public var enhanced: EnhancedStatusCode?
    /// The text lines, without codes.
    public var lines: [String]

    /// A reply; `enhanced`'s class must match the code's first digit.
    public init(_ code: Int, _ enhanced: EnhancedStatusCode?, _ lines: [String]) {
        precondition((200...599).contains(code) && (enhanced == nil || enhanced!.classDigit == code / 100))
        self.code = code
        self.enhanced = enhanced
        self.lines = lines.isEmpty ? [""] : lines
    }

    /// A one-line reply.
    public init(_ code: Int, _ enhanced: EnhancedStatusCode?, _ text: String) {
        self.init(code, enhanced, [text])
    }


    /// The reply as on the wire, each line `NNN-` or `NNN ` then the enhanced code, lines
    /// joined by CRLF without a final one (for logs and DSNs; `write(into:)` adds it).
    public var description: String {
        lines.enumerated().map { index, line in
            let separator = index == lines.count - 1 ? " " : "-"
            let enhancedText = enhanced.map { line.isEmpty ? "\($0)" : "\($0) " } ?? ""
            return "\(code)\(separator)\(enhancedText)\(line)"
        }.joined(separator: "\r\n")
    }

    /// Writes the wire form into `buffer`.
    public func write(into buffer: inout ByteBuffer) {
        buffer.writeString(description)
        buffer.writeString("\r\n")
    }
}
