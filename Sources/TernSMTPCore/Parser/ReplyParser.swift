public import NIOCore

extension SMTPDefaults {
    /// The longest reply line read from a peer, line ending included. RFC 5321 §4.5.3.1.5 allows
    /// 512 octets, but long greetings and EHLO keyword lists exceed it in the wild, so Tern reads
    /// up to eight times that before it gives up on the peer.
    public static let replyLineLimit = 4_096
    /// The most lines one reply may have (RFC 5321 sets none; this bounds a peer's memory use).
    public static let replyLineCountLimit = 1_000
}

/// Cuts a peer's octets into replies (RFC 5321 §4.2), fed as they arrive, in pieces of any size.
///
/// Lines end at LF (a CR before it is dropped). Every line of a multi-line reply must carry the
/// same code. When the first line's text starts with an enhanced status code whose class matches
/// the reply code, the code is split off, and so is the same code at the start of later lines
/// (RFC 2034 §4). Text is decoded as UTF-8, invalid octets replaced. After an error the parser's
/// state is unspecified: the connection can't be trusted any more.
///
///     Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF
///     Reply-code = %x32-35 %x30-35 %x30-39
///
/// SeeAlso: RFC 5321 §4.2, §4.5.3.1.5, RFC 2034 §4, RFC 3463 §2.
public struct ReplyParser: Sendable {
    /// Why the peer's octets are not a reply.
    public enum ParseError: Error, Hashable, Sendable {
        /// A line that is not `NNN`, `NNN text` or `NNN-text`, or whose code is out of range.
        case malformedLine
        /// A continuation line with another code than the reply's first line.
        case codeMismatch(expected: Int, found: Int)
        /// A line longer than `SMTPDefaults.replyLineLimit`.
        case lineTooLong
        /// A reply with more lines than `SMTPDefaults.replyLineCountLimit`.
        case tooManyLines
    }

    /// A multi-line reply whose last line has not arrived.
    private struct Partial: Sendable {
        var code: Int
        var enhanced: EnhancedStatusCode?
        var lines: [String]
    }

    private var buffer = ByteBuffer()
    private var partial: Partial?

    public init() {}

    /// Adds received octets.
    public mutating func append(_ bytes: ByteBuffer) {
        buffer.appendUnread(bytes)
    }

    /// The next complete reply, or nil when more octets are needed.
    public mutating func next() throws(ParseError) -> Reply? {
        while let line = try nextLine() {
            let (code, isLast, text) = try Self.split(line)
            var current: Partial
            if let partial {
                guard partial.code == code else { throw .codeMismatch(expected: partial.code, found: code) }
                guard partial.lines.count < SMTPDefaults.replyLineCountLimit else { throw .tooManyLines }
                current = partial
                current.lines.append(Self.strip(current.enhanced, from: text))
            } else {
                let enhanced = Self.enhancedCode(text, code: code)
                current = Partial(code: code, enhanced: enhanced, lines: [Self.strip(enhanced, from: text)])
            }
            if isLast {
                partial = nil
                return Reply(current.code, current.enhanced, current.lines)
            }
            partial = current
        }
        return nil
    }

    /// The next line without its line ending.
    private mutating func nextLine() throws(ParseError) -> ByteBuffer? {
        guard let lf = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes >= SMTPDefaults.replyLineLimit { throw .lineTooLong }
            return nil
        }
        let length = lf - buffer.readerIndex + 1
        guard length <= SMTPDefaults.replyLineLimit else { throw .lineTooLong }
        var line = buffer.readSlice(length: length)!
        line.moveWriterIndex(to: line.writerIndex - 1)
        if line.readableBytesView.last == UInt8(ascii: "\r") { line.moveWriterIndex(to: line.writerIndex - 1) }
        return line
    }

    /// The code, whether this is the last line, and the text after the separator.
    private static func split(_ line: ByteBuffer) throws(ParseError) -> (Int, Bool, Substring) {
        let bytes = line.readableBytesView
        guard bytes.count >= 3 else { throw .malformedLine }
        let start = bytes.startIndex
        let (first, second, third) = (bytes[start], bytes[start + 1], bytes[start + 2])
        guard (0x32...0x35).contains(first), (0x30...0x35).contains(second), (0x30...0x39).contains(third) else {
            throw .malformedLine
        }
        let code = Int(first - 0x30) * 100 + Int(second - 0x30) * 10 + Int(third - 0x30)
        guard bytes.count > 3 else { return (code, true, "") }
        let separator = bytes[start + 3]
        guard separator == UInt8(ascii: " ") || separator == UInt8(ascii: "-") else { throw .malformedLine }
        let text = String(decoding: bytes.dropFirst(4), as: UTF8.self)
        return (code, separator == UInt8(ascii: " "), Substring(text))
    }

    /// The enhanced code that starts `text` (followed by a space or the end), if its class matches.
    private static func enhancedCode(_ text: Substring, code: Int) -> EnhancedStatusCode? {
        let candidate = text.prefix { $0 != " " }
        guard let status = EnhancedStatusCode(candidate), status.classDigit == code / 100 else { return nil }
        return status
    }

    /// `text` without `enhanced` and the space after it, when it starts with that code.
    private static func strip(_ enhanced: EnhancedStatusCode?, from text: Substring) -> String {
        let candidate = text.prefix { $0 != " " }
        guard let enhanced, EnhancedStatusCode(candidate) == enhanced else { return String(text) }
        return String(text.dropFirst(candidate.count).dropFirst())
    }
}
