public import NIOCore

/// One SMTP reply: a code, an optional RFC 3463 enhanced code, and one or more lines of text.
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


    /// The wire form, each line `NNN-` or `NNN ` then the enhanced code, ending in CRLF.
    public var description: String {
        var out = ""
        for (index, line) in lines.enumerated() {
            out += String(code)
            out += index == lines.count - 1 ? " " : "-"
            if let enhanced {
                out += enhanced.description
                if !line.isEmpty { out += " " }
            }
            out += line
            out += "\r\n"
        }
        return out
    }

    /// Writes the wire form into `buffer`.
    public func write(into buffer: inout ByteBuffer) {
        buffer.writeString(description)
    }
}
