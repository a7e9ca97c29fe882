package import NIOCore

/// Cuts a control connection's input into `\n`-terminated lines of at most `maximumLength`
/// octets.
///
/// A longer line is reported once as ``ControlLine/tooLong`` and skipped up to its `\n`, so the
/// buffer never holds much more than the limit. At the end of the input, octets after the last
/// `\n` count as a line, so `printf '{"command":"list"}' | nc -U` works too.
package struct ControlLineDecoder: ByteToMessageDecoder {
    package typealias InboundOut = ControlLine

    package let maximumLength: Int
    /// How many readable octets are already known to hold no `\n`, so that a long line arriving
    /// in many reads is searched once.
    private var searched = 0
    /// Inside a line already reported as too long.
    private var skipping = false

    package init(maximumLength: Int) {
        self.maximumLength = maximumLength
    }

    package mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        guard let newline = view[(view.startIndex + searched)...].firstIndex(of: UInt8(ascii: "\n")) else {
            if skipping || view.count > maximumLength {
                if !skipping { context.fireChannelRead(wrapInboundOut(.tooLong)) }
                skipping = true
                buffer.moveReaderIndex(forwardBy: view.count)
                searched = 0
            } else {
                searched = view.count
            }
            return .needMoreData
        }
        let length = newline - view.startIndex
        searched = 0
        if skipping {
            skipping = false
            buffer.moveReaderIndex(forwardBy: length + 1)
        } else if length > maximumLength {
            buffer.moveReaderIndex(forwardBy: length + 1)
            context.fireChannelRead(wrapInboundOut(.tooLong))
        } else {
            let line = buffer.readSlice(length: length)!
            buffer.moveReaderIndex(forwardBy: 1)
            context.fireChannelRead(wrapInboundOut(.line(line)))
        }
        return .continue
    }

    package mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0 && !skipping {
            context.fireChannelRead(wrapInboundOut(.line(buffer.readSlice(length: buffer.readableBytes)!)))
        }
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }
}
