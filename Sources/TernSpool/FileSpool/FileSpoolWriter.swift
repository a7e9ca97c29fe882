import NIOConcurrencyHelpers
import Logging
import NIOCore
import NIOPosix
import TernIO
import TernMessage
import TernSMTPCore

/// Streams one message into `tmp/` and commits it into `incoming/`.
///
/// The text is gathered in memory and its file is opened only when it reaches `writeThreshold`
/// or at commit, in the same thread-pool hop as the first write: a small message costs no file
/// until it is committed, and none at all when it is delivered from memory instead
/// (`textInMemory`, docs/architecture.md "Local delivery at acceptance"). The file is a spare
/// written over from its start (`SpareFiles`) when there is one, else `tmp/<id>.body` created.
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
        /// Open at `path`; `spare` names the spare it is, if it is one (cut to its length at
        /// commit, given back at abort).
        case open(CInt, path: String, spare: String?)
        /// Committed or aborted.
        case finished

        var descriptor: CInt? {
            if case .open(let descriptor, _, _) = self { return descriptor }
            return nil
        }
    }

    /// Pending text is written once it reaches this size; it bounds the memory of a session.
    static let writeThreshold = 128 * 1024

    let id: QueueID
    /// Where the body is created when no spare is taken: `tmp/<id>.body`, or a checkpoint's
    /// `partial/<record>.body`.
    let bodyPath: String
    /// The body belongs to a checkpoint record: linked at commit, kept at abort.
    private let keepsBody: Bool
    private let paths: SpoolPaths
    private let threadPool: NIOThreadPool
    private let operations: any FileOperations
    private let groupCommit: GroupCommit
    private let census: SpoolCensus
    private let recent: RecentMessages
    /// Spares to write over; nil for a checkpoint's body.
    private let spares: SpareFiles?
    private let logger: Logger
    private let state: NIOLockedValueBox<State>

    /// A writer for `bodyPath` (by default `tmp/<id>.body`): already open as `descriptor`, with
    /// `size` octets in it (a checkpoint's body), or created at the first write when nil.
    init(
        id: QueueID, descriptor: CInt?, paths: SpoolPaths, threadPool: NIOThreadPool,
        operations: any FileOperations, groupCommit: GroupCommit, census: SpoolCensus, recent: RecentMessages,
        logger: Logger, spares: SpareFiles? = nil,
        bodyPath: String? = nil, size: Int = 0
    ) {
        let created = bodyPath ?? paths.temporaryBody(id)
        self.id = id
        self.bodyPath = created
        keepsBody = bodyPath != nil
        self.paths = paths
        self.threadPool = threadPool
        self.operations = operations
        self.groupCommit = groupCommit
        self.census = census
        self.recent = recent
        self.spares = spares
        self.logger = logger
        let file = descriptor.map { BodyFile.open($0, path: created, spare: nil) } ?? .notCreated
        state = NIOLockedValueBox(State(file: file, size: size))
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

    /// Runs `work` on the body file and its path on the thread pool, opening the file first if
    /// it is not open yet; a file opened here is let go again (`release`) when `work` fails.
    private func withBodyFile(_ file: BodyFile, _ work: @escaping @Sendable (CInt, String) throws -> Void) async throws {
        let (bodyPath, spares) = (bodyPath, spares)
        let opened = try await threadPool.runBlocking {
            let opened = try Self.open(file, creating: bodyPath, spares: spares)
            guard case .open(let descriptor, let path, let spare) = opened else { preconditionFailure("not open") }
            do {
                try work(descriptor, path)
            } catch {
                if file.descriptor == nil { Self.release(descriptor, path: path, spare: spare, spares: spares) }
                throw error
            }
            return opened
        }
        state.withLockedValue { state in
            if case .notCreated = state.file { state.file = opened }
        }
    }

    /// `file` when open; else a spare, or `path` created now (exclusively, mode 0600). Runs on
    /// the thread pool.
    private static func open(_ file: BodyFile, creating path: String, spares: SpareFiles?) throws -> BodyFile {
        if file.descriptor != nil { return file }
        if let spares, let (descriptor, name) = spares.open() {
            return .open(descriptor, path: spares.path(of: name), spare: name)
        }
        return .open(try Posix.open(path, Posix.createExclusive), path: path, spare: nil)
    }

    /// Closes a body file that will not be committed: a spare is given back, a created file
    /// removed. Runs on the thread pool.
    private static func release(_ descriptor: CInt, path: String, spare: String?, spares: SpareFiles?) {
        Posix.close(descriptor)
        if let spare, let spares {
            spares.giveBack(spare)
        } else {
            Posix.removeIfPresent(path)
        }
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
        let operations = operations
        do {
            try await withBodyFile(file) { descriptor, path in
                try full.withUnsafeReadableBytes { try operations.write(descriptor, $0, path: path) }
            }
        } catch {
            logger.error("spool write failed", metadata: ["queue_id": "\(id)", "error": "\(error)"])
            await abort()
            throw error
        }
    }

    func commit(_ envelope: Envelope) async throws {
        let (id, paths, bodyPath, keepsBody, spares) = (id, paths, bodyPath, keepsBody, spares)
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
                        id: id, body: try Self.open(file, creating: bodyPath, spares: spares), keepingIt: keepsBody,
                        size: size, pending: pending, record: record, paths: paths, operations: operations)
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
        guard case .open(let descriptor, let path, let spare) = state.withLockedValue({ state in
            defer { (state.file, state.pending) = (.finished, ByteBuffer()) }
            return state.file
        })
        else { return }
        let (keepsBody, spares) = (keepsBody, spares)
        try? await threadPool.runBlocking {
            if keepsBody {
                Posix.close(descriptor)
            } else {
                Self.release(descriptor, path: path, spare: spare, spares: spares)
            }
        }
    }

    /// Writes what is gathered and fsyncs the body, which stays open for more.
    func synchronize() async throws {
        let (file, pending) = try state.withLockedValue { state in
            if case .finished = state.file { throw SpoolError.writerFinished(id) }
            defer { state.pending = ByteBuffer() }
            return (state.file, state.pending)
        }
        let operations = operations
        try await withBodyFile(file) { descriptor, path in
            if pending.readableBytes > 0 {
                try pending.withUnsafeReadableBytes { try operations.write(descriptor, $0, path: path) }
            }
            try operations.fsync(descriptor, path: path)
        }
    }

    // One file (`MessageFiles`): the rest of the text, the record and the trailer written in one
    // call, a spare cut to that length, fsynced, and the file renamed into `incoming/<id>.msg`,
    // the commit mark. A text linked from `partial/` keeps two files: body durable, body linked,
    // envelope durable and renamed last as the commit mark (`DurableFile.publish`). The caller
    // then fsyncs `incoming/`. On failure the temporary files, and a body already linked, are
    // removed.
    private static func store(
        id: QueueID, body file: BodyFile, keepingIt keepsBody: Bool, size: Int, pending: ByteBuffer,
        record: [UInt8], paths: SpoolPaths, operations: any FileOperations
    ) throws {
        guard case .open(let descriptor, let bodyPath, let spare) = file else { preconditionFailure("not open") }
        guard keepsBody else {
            do {
                defer { Posix.close(descriptor) }
                var rest = pending
                rest.writeBytes(MessageFiles.tail(record: record))
                let length = size + rest.readableBytes - pending.readableBytes
                try rest.withUnsafeReadableBytes { try operations.write(descriptor, $0, path: bodyPath) }
                if spare != nil { try Posix.setLength(descriptor, to: length, path: bodyPath) }
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
