public import NIOCore

/// What the session expects next from the client; the framer cuts the byte stream accordingly.
public enum InputMode: Hashable, Sendable {
    /// Command lines.
    case commands
    /// SASL response lines (RFC 4954 §4: up to 12 288 octets).
    case saslResponse
    /// DATA text up to `CRLF.CRLF`, un-stuffed.
    case messageData
    /// The next `n` octets of a BDAT chunk, as they are.
    case chunk(Int)
}

/// One unit cut from the byte stream.
public enum Frame: Hashable, Sendable {
    /// A command line without its line ending, in the octets received.
    case line(ByteBuffer)
    /// A command line over its limit; its octets were discarded.
    case lineTooLong
    /// Un-stuffed message text, and the octets of the DATA stream as sent that it stands for
    /// (the text and a stuffing dot dropped before it): what checkpoint offsets count.
    case messageData(ByteBuffer, streamOctets: Int)
    /// The `CRLF.CRLF` that ends DATA was read.
    case endOfData
    /// Octets of the current BDAT chunk.
    case chunkData(ByteBuffer)
}

/// Cuts bytes into command lines, DATA text or BDAT chunks (RFC 5321 §2.3.8, §4.1.1.4; RFC 3030 §2).
///
/// Lines end at LF (a CR before it is dropped). A line longer than its limit is never buffered:
/// its octets are dropped until the LF and one `.lineTooLong` is reported. DATA text ends only
/// at `CRLF.CRLF`; a bare LF or CR never ends a line, so fake terminators stay content.
public struct SMTPFramer: Sendable {
    private var buffer = ByteBuffer()
    private var skippingLongLine = false
    private var dot = DotUnstuffer()
    private var lastMode: InputMode = .commands

    public init() {}

    /// Adds received octets.
    public mutating func append(_ bytes: ByteBuffer) {
        buffer.appendUnread(bytes)
    }

    /// Drops every octet not yet framed (STARTTLS: plaintext after the command is never read).
    public mutating func discardBuffered() {
        buffer.clear()
    }

    /// Octets received but not yet framed.
    public var bufferedBytes: Int { buffer.readableBytes }

    /// Hands over the octets received but not yet framed and forgets them: after ATRN turns
    /// the connection around they are the customer's first output (docs/behaviour.md §15).
    public mutating func takeBuffered() -> ByteBuffer {
        defer { buffer = ByteBuffer() }
        return buffer
    }

    /// The next frame in `mode`, or nil when more octets are needed.
    public mutating func next(_ mode: InputMode) -> Frame? {
        if mode != lastMode {
            if mode == .messageData { dot = DotUnstuffer() }
            lastMode = mode
        }
        switch mode {
        case .commands:
            return nextLine(limit: nil)
        case .saslResponse:
            return nextLine(limit: SMTPDefaults.authLineLimit)
        case .messageData:
            return nextData()
        case .chunk(let remaining):
            guard remaining > 0, buffer.readableBytes > 0 else { return nil }
            let slice = buffer.readSlice(length: min(remaining, buffer.readableBytes))!
            return .chunkData(slice)
        }
    }

    private mutating func nextLine(limit: Int?) -> Frame? {
        let view = buffer.readableBytesView
        guard let lf = view.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > SMTPDefaults.authLineLimit {
                buffer.clear()
                if !skippingLongLine {
                    skippingLongLine = true
                    return .lineTooLong
                }
            }
            if skippingLongLine { buffer.clear() }
            return nil
        }
        let length = lf - view.startIndex + 1
        var line = buffer.readSlice(length: length)!
        if skippingLongLine {
            skippingLongLine = false
            return nextLine(limit: limit)
        }
        if length > limit ?? Self.limit(of: line) { return .lineTooLong }
        line.moveWriterIndex(to: line.writerIndex - 1)
        if line.readableBytesView.last == UInt8(ascii: "\r") { line.moveWriterIndex(to: line.writerIndex - 1) }
        return .line(line)
    }

    /// The limit of a line, chosen by its verb (docs/behaviour.md §0.2).
    private static func limit(of line: ByteBuffer) -> Int {
        let head = String(decoding: line.readableBytesView.prefix(5), as: UTF8.self).uppercased()
        if head.hasPrefix("MAIL") || head.hasPrefix("RCPT") { return SMTPDefaults.mailRcptLineLimit }
        if head == "AUTH " || head.hasPrefix("AUTH\r") || head.hasPrefix("AUTH\n") { return SMTPDefaults.authLineLimit }
        return SMTPDefaults.commandLineLimit
    }

    private mutating func nextData() -> Frame? {
        switch dot.decode(&buffer) {
        case .data(let data, let consumed): return .messageData(data, streamOctets: consumed)
        case .end: return .endOfData
        case .needMore: return nil
        }
    }
}
