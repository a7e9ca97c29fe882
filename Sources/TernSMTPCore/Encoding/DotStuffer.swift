public import NIOCore

/// Turns message text into DATA form as it streams by: a `.` that starts a line gets a second
/// `.` (RFC 5321 §4.5.2), and `finish()` gives the terminator.
///
/// A line starts after CRLF, or at the first octet; a bare CR or LF never starts one, as in
/// `SMTPFramer`, so the peer's un-stuffing gives back the text exactly. Chunks may be cut
/// anywhere, even between CR and LF. A chunk with no dot to stuff is returned as it is.
///
/// SeeAlso: RFC 5321 §4.5.2, §4.1.1.4.
public struct DotStuffer: Sendable {
    private var atLineStart = true
    private var previousCR = false

    public init() {}

    /// The stuffed form of the next chunk of text.
    public mutating func stuff(_ text: ByteBuffer) -> ByteBuffer {
        let dots = text.withUnsafeReadableBytes { scan($0) }
        guard !dots.isEmpty else { return text }
        var out = ByteBuffer()
        out.reserveCapacity(text.readableBytes + dots.count)
        var start = text.readerIndex
        for dot in dots {
            // Each doubled dot: the text up to and including it, then one more dot.
            let end = text.readerIndex + dot + 1
            out.writeImmutableBuffer(text.getSlice(at: start, length: end - start)!)
            out.writeInteger(UInt8(ascii: "."))
            start = end
        }
        out.writeImmutableBuffer(text.getSlice(at: start, length: text.writerIndex - start)!)
        return out
    }

    /// Offsets of the dots that start lines, updating the line state.
    private mutating func scan(_ bytes: UnsafeRawBufferPointer) -> [Int] {
        var dots: [Int] = []
        for (offset, byte) in bytes.enumerated() {
            if atLineStart && byte == UInt8(ascii: ".") { dots.append(offset) }
            atLineStart = previousCR && byte == UInt8(ascii: "\n")
            previousCR = byte == UInt8(ascii: "\r")
        }
        return dots
    }

    /// The end of the data: `.` CRLF, preceded by CRLF unless the text was empty or ended
    /// with CRLF. The stuffer starts over afterwards.
    public mutating func finish() -> ByteBuffer {
        let terminator = atLineStart ? ".\r\n" : "\r\n.\r\n"
        self = DotStuffer()
        return ByteBuffer(string: terminator)
    }
}
