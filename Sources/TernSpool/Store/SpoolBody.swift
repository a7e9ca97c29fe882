package import NIOCore

/// A stored message body as an asynchronous sequence of chunks, read as they are consumed so
/// a large message is never held in memory. Each iteration starts again from the first byte.
package struct SpoolBody: AsyncSequence, Sendable {
    /// A chunk of the body.
    package typealias Element = ByteBuffer

    private let readChunk: @Sendable (_ offset: Int) async throws -> ByteBuffer?

    /// A body read by `readChunk`, which returns the bytes starting at `offset` (at least one),
    /// or nil at the end.
    package init(readChunk: @escaping @Sendable (_ offset: Int) async throws -> ByteBuffer?) {
        self.readChunk = readChunk
    }

    /// This body with `bytes` before its first byte, such as a trace field added on the way out.
    package func prefixed(with bytes: [UInt8]) -> SpoolBody {
        let readChunk = readChunk
        return SpoolBody { offset in
            if offset < bytes.count { return ByteBuffer(bytes: bytes[offset...]) }
            return try await readChunk(offset - bytes.count)
        }
    }

    /// Starts reading from the first byte.
    package func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(readChunk: readChunk)
    }

    /// Reads the body chunk by chunk.
    package struct AsyncIterator: AsyncIteratorProtocol {
        private let readChunk: @Sendable (Int) async throws -> ByteBuffer?
        private var offset = 0

        fileprivate init(readChunk: @escaping @Sendable (Int) async throws -> ByteBuffer?) {
            self.readChunk = readChunk
        }

        /// The next chunk, or nil at the end of the body.
        package mutating func next() async throws -> ByteBuffer? {
            guard let chunk = try await readChunk(offset) else { return nil }
            offset += chunk.readableBytes
            return chunk
        }
    }
}
