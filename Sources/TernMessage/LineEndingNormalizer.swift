package import NIOCore

/// Turns CRLF into LF across a stream of chunks, as Maildir files store lines; a CR that is
/// not followed by LF is kept. A CR at the end of one chunk is held until the next one shows
/// whether an LF follows.
package struct LineEndingNormalizer {
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let lineFeed = UInt8(ascii: "\n")

    private var heldCarriageReturn = false

    /// A normalizer at the start of a text.
    package init() {}

    /// The bytes of `chunk` to write now.
    package mutating func normalize(_ chunk: ByteBuffer) -> [UInt8] {
        chunk.withUnsafeReadableBytes { normalize($0) }
    }

    private mutating func normalize(_ chunk: UnsafeRawBufferPointer) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(chunk.count + 1)
        for byte in chunk {
            if heldCarriageReturn {
                heldCarriageReturn = false
                if byte != Self.lineFeed { output.append(Self.carriageReturn) }
            }
            if byte == Self.carriageReturn {
                heldCarriageReturn = true
            } else {
                output.append(byte)
            }
        }
        return output
    }

    /// What is still held at the end of the stream.
    package mutating func finish() -> [UInt8] {
        defer { heldCarriageReturn = false }
        return heldCarriageReturn ? [Self.carriageReturn] : []
    }
}
