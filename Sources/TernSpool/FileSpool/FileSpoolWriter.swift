import NIOConcurrencyHelpers
import Logging
import NIOCore
import NIOPosix
import TernIO
import TernMessage
import TernSMTPCore

/// Streams one message into `tmp/` and commits it into `incoming/`.
///
/// The text is gathered in memory and `tmp/<id>.body` is created only when it reaches
/// `writeThreshold` or at commit, in the same thread-pool hop as the first write: a small
/// message costs no file until it is committed, and none at all when it is delivered from
/// memory instead (`textInMemory`, docs/architecture.md "Local delivery at acceptance").
///
/// A checkpointed message (RFC 1845) is streamed into `partial/` instead and kept there: its
/// commit links the body into `incoming/` rather than moving it, and an abort leaves it for
/// the checkpoint's owner to remove.
final class FileSpoolWriter: SpoolWriter {
    private struct State {
        /// Open, or still to be created (`FileSpoolWriter.open`); `finished` after commit or abort.
        var file: BodyFile
        var size = 0
        /// Text not yet written: appends are gathered so that a message costs a few large
        /// writes (and thread-pool hops), not one per network read.
        var pending = ByteBuffer()
    }

    /// The body file of a message being received.
    private enum BodyFile {
        /// Not created yet: everything appended is in `pending`.
        case notCreated
        case open(CInt)
        /// Committed or aborted.
        case finished

        var descriptor: CInt? {
            if case .open(let descriptor) = self { return descriptor }
            return nil
        }
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
    private let recent: RecentMessages
    private let logger: Logger
    private let state: NIOLockedValueBox<State>

    /// A writer for `bodyPath` (by default `tmp/<id>.body`): already open as `descriptor`, with
    /// `size` octets in it (a checkpoint's body), or created at the first write when nil.
    init(
        id: QueueID, descriptor: CInt?, paths: SpoolPaths, threadPool: NIOThreadPool,
        operations: any FileOperations, groupCommit: GroupCommit, census: SpoolCensus, recent: RecentMessages,
        logger: Logger,
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
        self.recent = recent
        self.logger = logger
        state = NIOLockedValueBox(State(file: descriptor.map(BodyFile.open) ?? .notCreated, size: size))
    }

    deinit {
        if let descriptor = state.withLockedValue({ $0.file.descriptor }) {
            Posix.close(descriptor)
        }
    }

    var size: Int {
        state.withLockedValue { $0.size }
    }

    /// The whole text while no part of it is in a file yet; nil once the body file exists.
    var textInMemory: ByteBuffer? {
        state.withLockedValue { state in
            guard case .notCreated = state.file else { return nil }
            return state.pending
        }
    }

    /// Runs `work` on the body file on the thread pool, creating the file first (exclusively,
    /// mode 0600) if it does not exist yet; a file created here is removed again when `work` fails.
    private func withBodyFile(_ file: BodyFile, _ work: @escaping @Sendable (CInt) throws -> Void) async throws {
        let path = bodyPath
        let descriptor = try await threadPool.runBlocking {
            let descriptor = try Self.open(file, at: path)
            do {
                try work(descriptor)
            } catch {
                if file.descriptor == nil {
                    Posix.close(descriptor)
                    Posix.removeIfPresent(path)
                }
                throw error
            }
            return descriptor
        }
        state.withLockedValue { state in
            if case .notCreated = state.file { state.file = .open(descriptor) }
        }
    }

    /// `file`'s descriptor, or `path` created now. Runs on the thread pool.
    private static func open(_ file: BodyFile, at path: String) throws -> CInt {
        if let descriptor = file.descriptor { return descriptor }
        return try Posix.open(path, Posix.createExclusive)
    }

    func append(_ bytes: ByteBuffer) async throws {
        let (file, full) = try state.withLockedValue { state -> (BodyFile, ByteBuffer?) in
            if case .finished = state.file { throw SpoolError.writerFinished(id) }
            var bytes = bytes
            state.size += bytes.readableBytes
            state.pending.writeBuffer(&bytes)
            guard state.pending.readableBytes >= Self.writeThreshold else { return (state.file, nil) }
            defer { state.pending = ByteBuffer() }
            return (state.file, state.pending)
        }
        guard let full else { return }
        let (path, operations) = (bodyPath, operations)
        do {
            try await withBodyFile(file) { descriptor in
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
        let (file, size, pending) = try state.withLockedValue { state in
            if case .finished = state.file { throw SpoolError.writerFinished(id) }
            defer { (state.file, state.pending) = (.finished, ByteBuffer()) }
            return (state.file, state.size, state.pending)
        }
        var stored = envelope
        stored.id = id
        stored.size = size
        let record = EnvelopeRecord.encode(stored)
        // Remembered before the envelope appears in `incoming/`: whoever finds the message there
        // (a listing of the spool) and attempts it finds this entry, and the attempt's update
        // replaces it. Remembered after, it could overwrite that update with this first
        // envelope, and a later attempt would deliver the message again. The gathered text is
        // the whole text when no file existed before the commit.
        recent.remember(stored, text: file.descriptor == nil ? pending : nil)
        do {
            try await SpoolMetrics.timeCommit(.files) {
                try await threadPool.runBlocking { [operations] in
                    try Self.store(
                        id: id, body: try Self.open(file, at: bodyPath), at: bodyPath, keepingIt: keepsBody,
                        pending: pending, record: record, paths: paths, operations: operations)
                }
                try await groupCommit.commit()
            }
            census.record(stored)
        } catch {
            recent.forget(id)
            logger.error("spool commit failed", metadata: ["queue_id": "\(id)", "error": "\(error)"])
            try? await threadPool.runBlocking {
                Posix.removeIfPresent(paths.message(id))
                Posix.removeIfPresent(paths.envelope(id))
                Posix.removeIfPresent(paths.body(id))
            }
            throw error
        }
    }

    func abort() async {
        guard let descriptor = state.withLockedValue({ state in
            defer { (state.file, state.pending) = (.finished, ByteBuffer()) }
            return state.file.descriptor
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
        let (file, pending) = try state.withLockedValue { state in
            if case .finished = state.file { throw SpoolError.writerFinished(id) }
            defer { state.pending = ByteBuffer() }
            return (state.file, state.pending)
        }
        let (path, operations) = (bodyPath, operations)
        try await withBodyFile(file) { descriptor in
            if pending.readableBytes > 0 {
                try pending.withUnsafeReadableBytes { try operations.write(descriptor, $0, path: path) }
            }
            try operations.fsync(descriptor, path: path)
        }
    }

    // One file (`MessageFiles`): the rest of the text, the record and the trailer written in one
    // call, fsynced, and the file renamed into `incoming/<id>.msg`, the commit mark. A text
    // linked from `partial/` keeps two files: body durable, body linked, envelope durable and
    // renamed last as the commit mark (`DurableFile.publish`). The caller then fsyncs
    // `incoming/`. On failure the temporary files, and a body already linked, are removed.
    private static func store(
        id: QueueID, body descriptor: CInt, at bodyPath: String, keepingIt keepsBody: Bool, pending: ByteBuffer,
        record: [UInt8], paths: SpoolPaths, operations: any FileOperations
    ) throws {
        guard keepsBody else {
            do {
                defer { Posix.close(descriptor) }
                var rest = pending
                rest.writeBytes(MessageFiles.tail(record: record))
                try rest.withUnsafeReadableBytes { try operations.write(descriptor, $0, path: bodyPath) }
                try operations.fsync(descriptor, path: bodyPath)
                try operations.rename(bodyPath, to: paths.message(id))
            } catch {
                Posix.removeIfPresent(bodyPath)
                throw error
            }
            return
        }
        var bodyLinked = false
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
            try Posix.link(bodyPath, to: paths.body(id))
            bodyLinked = true
            envelope = nil
            try file.publish(as: paths.envelope(id))
        } catch {
            envelope?.discard()
            Posix.removeIfPresent(paths.temporaryEnvelope(id))
            if bodyLinked { Posix.removeIfPresent(paths.body(id)) }
            throw error
        }
    }
}
