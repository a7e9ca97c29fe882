/// A reply as a peer sent it: a code, the enhanced status code split off the text when there is
/// one, and the text lines.
///
/// `ReplyParser` makes these from the wire; `ClientSession` also makes a few itself for failures
/// it finds on its own side (`ReceivedReply+Local.swift`), so every recipient outcome carries a
/// reply to log and to quote in a DSN.
///
/// SeeAlso: RFC 5321 §4.2, RFC 2034, RFC 3463.
public struct ReceivedReply: ReplyCodeClass, Hashable, Sendable, CustomStringConvertible {
    /// The three-digit reply code.
    public var code: Int
    /// The enhanced status code that started the text, if any.
    public var enhanced: EnhancedStatusCode?
    /// The text lines, without codes; at least one, possibly empty.
    public var lines: [String]

    /// A reply; `code` is three digits from 200 to 599, `enhanced`'s class matches its first digit.
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


    /// The reply as it looked on the wire, lines joined by CRLF (for logs and DSNs).
    public var description: String {
        lines.enumerated().map { index, line in
            let separator = index == lines.count - 1 ? " " : "-"
            let enhancedText = enhanced.map { line.isEmpty ? "\($0)" : "\($0) " } ?? ""
            return "\(code)\(separator)\(enhancedText)\(line)"
        }.joined(separator: "\r\n")
    }
}
