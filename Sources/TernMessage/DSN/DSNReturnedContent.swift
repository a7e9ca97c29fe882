package import NIOCore
package import TernSMTPCore

/// Turns the stored bytes of the original message, chunk by chunk, into the content of the
/// third part of a delivery status notification.
///
/// With `RET=FULL` every byte passes. With `RET=HDRS` only the header section passes: the
/// lines up to the first empty line, which is left out, as is everything after it. Chunk
/// boundaries may fall anywhere, also between the CR and the LF of the empty line; a CR at
/// the start of a line is held until the next byte shows whether the line is empty.
package struct DSNReturnedContent: Sendable {
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let lineFeed = UInt8(ascii: "\n")

    /// What is returned.
    package let returned: DSNReturn
    /// True once the header section has ended with `RET=HDRS`: later chunks add nothing, so
    /// the caller may stop reading the message.
    package private(set) var isComplete = false
    private var atLineStart = true
    private var heldCarriageReturn = false

    /// A filter returning what `returned` asks for, at the start of the message.
    package init(_ returned: DSNReturn) {
        self.returned = returned
    }

    /// The bytes of `chunk`, the next piece of the message, to write now.
    package mutating func take(_ chunk: ByteBuffer) -> [UInt8] {
        switch returned {
        case .full: Array(chunk.readableBytesView)
        case .headers: chunk.withUnsafeReadableBytes { headerSection(of: $0) }
        }
    }

    /// What is still held at the end of the message: a CR that ended it at the start of a line.
    package mutating func finish() -> [UInt8] {
        defer { heldCarriageReturn = false }
        return heldCarriageReturn && !isComplete ? [Self.carriageReturn] : []
    }

    private mutating func headerSection(of chunk: UnsafeRawBufferPointer) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(chunk.count + 1)
        for byte in chunk {
            guard !isComplete else { break }
            if heldCarriageReturn {
                heldCarriageReturn = false
                if byte == Self.lineFeed {
                    isComplete = true
                    break
                }
                output.append(Self.carriageReturn)
                atLineStart = false
            } else if atLineStart, byte == Self.carriageReturn {
                heldCarriageReturn = true
                continue
            } else if atLineStart, byte == Self.lineFeed {
                isComplete = true
                break
            }
            output.append(byte)
            atLineStart = byte == Self.lineFeed
        }
        return output
    }
}
