import NIOCore

/// A text being written to `tern_text` under one owner: the chunks already stored and the
/// tail still in memory, never more than `PostgresSpool.chunkSize` octets.
struct PostgresText: Sendable {
    /// A queue id, or `partial:` and a checkpoint record's id.
    let owner: String
    /// The node that registers the text in `tern_upload` with its first stored chunk; nil for
    /// a checkpoint's text, which its record owns.
    let upload: String?
    /// Octets appended so far.
    private(set) var size: Int
    /// Full chunks already stored.
    private(set) var stored: Int
    /// The octets after the stored chunks.
    private(set) var tail: ByteBuffer

    /// A text with `stored` full chunks in the database followed by `tail` (a resumed
    /// checkpoint's text), empty by default.
    init(owner: String, upload: String?, stored: Int = 0, tail: ByteBuffer = ByteBuffer()) {
        self.owner = owner
        self.upload = upload
        self.stored = stored
        self.tail = tail
        size = stored * PostgresSpool.chunkSize + tail.readableBytes
    }

    /// The owner of a checkpoint record's text.
    static func partialOwner(_ record: String) -> String { "partial:\(record)" }

    /// One chunk to store: its number and its octets.
    struct Chunk: Sendable {
        var seq: Int32
        var data: ByteBuffer
    }

    /// Appends `bytes`; returns the chunks that are now full, to be stored in order.
    mutating func append(_ bytes: ByteBuffer) -> [Chunk] {
        var bytes = bytes
        size += bytes.readableBytes
        if tail.readableBytes + bytes.readableBytes < PostgresSpool.chunkSize {
            tail.writeBuffer(&bytes)
            return []
        }
        var full: [Chunk] = []
        while tail.readableBytes + bytes.readableBytes >= PostgresSpool.chunkSize {
            var chunk = tail
            var part = bytes.readSlice(length: PostgresSpool.chunkSize - tail.readableBytes)!
            chunk.writeBuffer(&part)
            full.append(Chunk(seq: Int32(stored), data: chunk))
            stored += 1
            tail = ByteBuffer()
        }
        tail.writeBuffer(&bytes)
        return full
    }

    /// The tail as the chunk after the stored ones; nil when it is empty.
    var tailChunk: Chunk? {
        tail.readableBytes == 0 ? nil : Chunk(seq: Int32(stored), data: tail)
    }

    /// The whole text while no chunk of it is stored yet.
    var inMemory: ByteBuffer? { stored == 0 ? tail : nil }
}
