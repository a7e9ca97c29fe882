import NIOConcurrencyHelpers
import Logging
import NIOCore
import NIOPosix
import TernIO
import TernMessage
import TernSMTPCore

/// Streams one message into `tmp/` and commits it into `incoming/`.
///
/// A checkpointed message (RFC 1845) is streamed into `partial/` instead and kept there: its
/// commit links the body into `incoming/` rather than moving it, and an abort leaves it for
/// the checkpoint's owner to remove.
final class FileSpoolWriter: SpoolWriter {
    private struct State {
        var descriptor: CInt?
        var size = 0
        /// Text not yet written: appends are gathered so that a message costs a few large
        /// writes (and thread-pool hops), not one per network read.
        var pending = ByteBuffer()
    }

    /// Pending text is written once it reaches this size; it bounds the memory of a session.
    static let writeThreshold = 128 * 1024

    let id: QueueID
    /// Where the body is written: `tmp/<id>.body`, or a checkpoint's `partial/<record>.body`.
    let bodyPath: String
    /// The body belongs to a checkpoint record: linked at commit, kept at abort.
    private let keepsBody: Bool
    private let paths: SpoolPaths
    private let threadPool: NIOThreadPool
    private let operations: any FileOperations
    private let groupCommit: GroupCommit
    private let census: SpoolCensus
    private let logger: Logger
    private let state: NIOLockedValueBox<State>

    /// A writer for `bodyPath` (by default `tmp/<id>.body`), already open as `descriptor`;
    /// `size` octets are in it already (a resumed checkpoint).
    init(
        id: QueueID, descriptor: CInt, paths: SpoolPaths, threadPool: NIOThreadPool,
        operations: any FileOperations, groupCommit: GroupCommit, census: SpoolCensus, logger: Logger,
        bodyPath: String? = nil, size: Int = 0
    ) {
        self.id = id
        self.bodyPath = bodyPath ?? paths.temporaryBody(id)
        keepsBody = bodyPath != nil
        self.paths = paths
        self.threadPool = threadPool
        self.operations = operations
        self.groupCommit = groupCommit
        self.census = census
        self.logger = logger
        state = NIOLockedValueBox(State(descriptor: descriptor, size: size))
    }

    deinit {
        if let descriptor = state.withLockedValue({ $0.descriptor }) {
            Posix.close(descriptor)
        }
    }

    var size: Int {
        state.withLockedValue { $0.size }
    }

    func append(_ bytes: ByteBuffer) async throws {
        let (descriptor, full) = try state.withLockedValue { state -> (CInt, ByteBuffer?) in
            guard let descriptor = state.descriptor else { throw SpoolError.writerFinished(id) }
            var bytes = bytes
            state.size += bytes.readableBytes
            state.pending.writeBuffer(&bytes)
            guard state.pending.readableBytes >= Self.writeThreshold else { return (descriptor, nil) }
            defer { state.pending = ByteBuffer() }
            return (descriptor, state.pending)
        }
        guard let full else { return }
        let path = bodyPath
        do {
            try await threadPool.runBlocking { [operations] in
                try full.withUnsafeReadableBytes { try operations.write(descriptor, $0, path: path) }
            }
        } catch {
            logger.error("spool write failed", metadata: ["queue_id": "\(id)", "error": "\(error)"])
            await abort()
            throw error
        }
    }

    func commit(_ envelope: Envelope) async throws {
        let (id, paths, bodyPath, keepsBody) = (id, paths, bodyPath, keepsBody)
        let (descriptor, size, pending) = try state.withLockedValue { state in
            guard let descriptor = state.descriptor else { throw SpoolError.writerFinished(id) }
            state.descriptor = nil
            defer { state.pending = ByteBuffer() }
            return (descriptor, state.size, state.pending)
        }
        var stored = envelope
        stored.id = id
        stored.size = size
        let record = EnvelopeRecord.encode(stored)
        do {
            try await threadPool.runBlocking { [operations] in
                try Self.store(
                    id: id, body: descriptor, at: bodyPath, keepingIt: keepsBody, pending: pending, record: record,
                    paths: paths, operations: operations)
            }
            try await groupCommit.commit()
            census.record(stored)
        } catch {
            logger.error("spool commit failed", metadata: ["queue_id": "\(id)", "error": "\(error)"])
            try? await threadPool.runBlocking {
                Posix.removeIfPresent(paths.envelope(id))
                Posix.removeIfPresent(paths.body(id))
            }
            throw error
        }
    }

    func abort() async {
        guard let descriptor = state.withLockedValue({ state in
            defer { (state.descriptor, state.pending) = (nil, ByteBuffer()) }
            return state.descriptor
        })
        else { return }
        let (bodyPath, keepsBody) = (bodyPath, keepsBody)
        try? await threadPool.runBlocking {
            Posix.close(descriptor)
            if !keepsBody { Posix.removeIfPresent(bodyPath) }
        }
    }

    /// Writes what is gathered and fsyncs the body, which stays open for more.
    func synchronize() async throws {
        let (descriptor, pending) = try state.withLockedValue { state in
            guard let descriptor = state.descriptor else { throw SpoolError.writerFinished(id) }
            defer { state.pending = ByteBuffer() }
            return (descriptor, state.pending)
        }
        let (path, operations) = (bodyPath, operations)
        try await threadPool.runBlocking {
            if pending.readableBytes > 0 {
                try pending.withUnsafeReadableBytes { try operations.write(descriptor, $0, path: path) }
            }
            try operations.fsync(descriptor, path: path)
        }
    }

    // The commit order: body durable, body renamed, envelope durable and renamed last as the
    // commit mark (`DurableFile.publish`). The caller then fsyncs `incoming/`. On failure the
    // temporary files, and a body already renamed, are removed.
    private static func store(
        id: QueueID, body descriptor: CInt, at bodyPath: String, keepingIt keepsBody: Bool, pending: ByteBuffer,
        record: [UInt8], paths: SpoolPaths, operations: any FileOperations
    ) throws {
        var bodyRenamed = false
        var envelope: DurableFile?
        do {
            defer { Posix.close(descriptor) }
            if pending.readableBytes > 0 {
                try pending.withUnsafeReadableBytes { try operations.write(descriptor, $0, path: bodyPath) }
            }
            try operations.fsync(descriptor, path: bodyPath)
            let file = try DurableFile(creating: paths.temporaryEnvelope(id), operations: operations)
            envelope = file
            try file.write(record)
            if keepsBody {
                try Posix.link(bodyPath, to: paths.body(id))
            } else {
                try operations.rename(bodyPath, to: paths.body(id))
            }
            bodyRenamed = true
            envelope = nil
            try file.publish(as: paths.envelope(id))
        } catch {
            envelope?.discard()
            if !keepsBody { Posix.removeIfPresent(bodyPath) }
            Posix.removeIfPresent(paths.temporaryEnvelope(id))
            if bodyRenamed { Posix.removeIfPresent(paths.body(id)) }
            throw error
        }
    }
}
