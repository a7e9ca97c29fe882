#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
package import Logging
import NIOConcurrencyHelpers
import NIOCore
package import NIOPosix
package import TernIO
package import TernMessage
package import TernSMTPCore

/// The spool on a local file system.
///
/// Layout under the root, all directories flat:
/// - `tmp/`: `<id>.body` while a message is received (renamed to `incoming/<id>.msg` at
///   commit), a checkpointed message's `<id>.env` just before commit, and envelope rewrites;
///   purged at start.
/// - `incoming/`: committed messages, each one file `<id>.msg` (text, envelope, trailer),
///   renamed in as the commit mark, with `<id>.env` beside it once the envelope is updated; or
///   `<id>.body` and `<id>.env` (a checkpointed text, and spools of earlier versions). See
///   `MessageFiles`. `incoming/` is fsynced before `commit` returns, one fsync shared by all
///   commits that are waiting at the time (group commit).
/// - `corrupt/`: quarantine for envelopes that won't parse or have no text.
/// - `partial/`: checkpointed transactions kept for a resume (RFC 1845), `<record>.meta` and
///   `<record>.body`; see `FileSpool+Checkpoint.swift`.
/// - `spare/`: files of removed messages that new ones are written over (`SpareFiles`).
///
/// Every blocking call runs on the `NIOThreadPool`. Call `recover()` once at start, before
/// anything else: it also creates the directories.
package final class FileSpool: SpoolStore {
    private static let chunkSize = 64 * 1024

    let paths: SpoolPaths
    let threadPool: NIOThreadPool
    let logger: Logger
    let operations: any FileOperations
    let groupCommit: GroupCommit
    /// The messages in memory, for figures that must not read the disk.
    let messages = SpoolCensus()
    /// The envelopes and texts written last, read from memory by the queue's first attempt.
    let recent = RecentMessages()
    /// Files of removed messages, for new ones.
    let spares: SpareFiles
    /// The last free-space figure and when it was taken: one `statvfs` a second serves every
    /// MAIL command in between.
    private let lastFreeSpace = NIOLockedValueBox<(bytes: Int, at: ContinuousClock.Instant)?>(nil)

    /// A spool rooted at `root`, doing blocking work on `threadPool` (which must be started).
    package convenience init(root: String, threadPool: NIOThreadPool, logger: Logger) {
        self.init(root: root, threadPool: threadPool, logger: logger, operations: SystemFileOperations())
    }

    /// A spool whose write, fsync and rename calls go through `operations` (tests inject failures).
    package init(root: String, threadPool: NIOThreadPool, logger: Logger, operations: any FileOperations) {
        let paths = SpoolPaths(root: root)
        self.paths = paths
        self.threadPool = threadPool
        self.logger = logger
        self.operations = operations
        spares = SpareFiles(paths: paths)
        groupCommit = GroupCommit(sync: { [operations] in
            try await threadPool.runBlocking { try Posix.syncDirectory(paths.incoming, operations: operations) }
        }, synced: SpoolMetrics.groupCommitted)
    }

    /// The messages in memory (``SpoolCensus``).
    package var census: SpoolCensus? { messages }

    // MARK: Start

    /// Creates the directories if needed and brings the spool to a consistent state after a
    /// stop or a crash: `tmp/` is purged, an envelope that won't parse or has no text goes to
    /// `corrupt/` with the message's other files, a text without an envelope is deleted (it was
    /// never acknowledged), and so is an envelope whose text a removal had already unlinked.
    /// Logs one line for each file it acts on.
    package func recover() async throws -> RecoveryReport {
        let (paths, spares, operations, logger) = (paths, spares, operations, logger)
        return try await threadPool.runBlocking {
            try Self.recover(paths: paths, spares: spares, operations: operations, logger: logger)
        }
    }

    private static func recover(
        paths: SpoolPaths, spares: SpareFiles, operations: any FileOperations, logger: Logger
    ) throws -> RecoveryReport {
        if try Posix.makeDirectory(paths.root) {
            try Posix.syncDirectory(parent(of: paths.root), operations: operations)
        }
        var created = false
        for directory in [paths.temporary, paths.incoming, paths.corrupt, paths.partial, paths.spare] {
            created = try Posix.makeDirectory(directory) || created
        }
        if created { try Posix.syncDirectory(paths.root, operations: operations) }

        var report = RecoveryReport()
        for name in try Posix.listDirectory(paths.temporary) {
            try Posix.unlink("\(paths.temporary)/\(name)")
            report.purgedTemporaryFiles += 1
            logger.notice("spool recovery purged temporary file", metadata: ["file": "\(name)"])
        }

        for name in spares.adopt(try Posix.listDirectory(paths.spare)) {
            try Posix.unlink(paths.spareFile(name))
        }

        var files: [QueueID: Set<Substring>] = [:]
        for name in try Posix.listDirectory(paths.incoming) {
            switch messageFile(name) {
            case (let id?, let kind) where ["msg", "env", "body"].contains(kind): files[id, default: []].insert(kind)
            default:
                try quarantine(name, paths: paths, operations: operations)
                report.quarantined += 1
                logger.error("spool recovery quarantined stray file", metadata: ["file": "\(name)"])
            }
        }
        for (id, kinds) in files.sorted(by: { $0.key < $1.key }) {
            try recover(id, kinds, paths: paths, operations: operations, logger: logger, report: &report)
        }
        if report.purgedTemporaryFiles > 0 { try Posix.syncDirectory(paths.temporary, operations: operations) }
        if report.quarantined > 0 || report.orphanBodies > 0 {
            try Posix.syncDirectory(paths.incoming, operations: operations)
        }
        if report.quarantined > 0 { try Posix.syncDirectory(paths.corrupt, operations: operations) }
        logger.info(
            "spool recovered",
            metadata: [
                "messages": "\(report.messages)", "purged": "\(report.purgedTemporaryFiles)",
                "quarantined": "\(report.quarantined)", "orphan_bodies": "\(report.orphanBodies)",
            ])
        return report
    }

    /// Recovery of the files one message has in `incoming/` (`MessageFiles`): a text without
    /// an envelope was never acknowledged and is deleted; an envelope without a text is what a
    /// removal cut short leaves when its recipients are all final (deleted), else it is
    /// quarantined; so is a message whose envelope won't parse.
    private static func recover(
        _ id: QueueID, _ kinds: Set<Substring>, paths: SpoolPaths, operations: any FileOperations, logger: Logger,
        report: inout RecoveryReport
    ) throws {
        if kinds.contains("msg") && kinds.contains("body") {
            try Posix.unlink(paths.body(id))
            report.orphanBodies += 1
            logger.notice("spool recovery deleted second text", metadata: ["queue_id": "\(id)"])
        } else if kinds == ["body"] {
            try Posix.unlink(paths.body(id))
            report.orphanBodies += 1
            logger.notice("spool recovery deleted body without envelope", metadata: ["queue_id": "\(id)"])
            return
        }
        let envelope = MessageFiles.readEnvelope(id, paths: paths)
        if kinds == ["env"], case .success(let left) = envelope, left.recipients.allSatisfy(\.status.isFinal) {
            try Posix.unlink(paths.envelope(id))
            report.finishedRemovals += 1
            logger.notice("spool recovery finished a removal", metadata: ["queue_id": "\(id)"])
            return
        }
        let problem: String
        switch envelope {
        case .success: problem = kinds == ["env"] ? "no body" : ""
        case .failure(let error): problem = "\(error)"
        }
        if problem.isEmpty {
            report.messages += 1
        } else {
            try quarantine(id, paths: paths, operations: operations)
            report.quarantined += 1
            logger.error("spool recovery quarantined message", metadata: ["queue_id": "\(id)", "reason": "\(problem)"])
        }
    }

    // MARK: SpoolStore

    /// A writer for a new message; its file, a spare or `tmp/<id>.body`, is opened at its first
    /// write (`FileSpoolWriter`).
    package func beginMessage() async throws -> any SpoolWriter {
        FileSpoolWriter(
            id: QueueID(), descriptor: nil, paths: paths, threadPool: threadPool, operations: operations,
            groupCommit: groupCommit, census: messages, recent: recent, logger: logger, spares: spares)
    }

    /// Reads and checks `incoming/<id>.env`, or takes it from memory when it was written last
    /// (`RecentMessages`).
    package func envelope(_ id: QueueID) async throws -> Envelope {
        if let envelope = recent.envelope(id) { return envelope }
        let paths = paths
        return try await threadPool.runBlocking { try MessageFiles.readEnvelope(id, paths: paths).get() }
    }

    /// Writes the record to `tmp/`, fsyncs it, renames it over `incoming/<id>.env` and fsyncs
    /// `incoming/`. Throws `SpoolError.unknownMessage` if the message is gone.
    package func update(_ envelope: Envelope) async throws {
        let (paths, operations) = (paths, operations)
        let record = EnvelopeRecord.encode(envelope)
        do {
            try await threadPool.runBlocking {
                let id = envelope.id
                guard MessageFiles.hasText(id, paths: paths) else { throw SpoolError.unknownMessage(id) }
                try DurableFile.replace(
                    paths.envelope(id), with: record, temporaryPath: paths.temporaryUpdate(id), syncingDirectory: false,
                    operations: operations)
            }
            try await groupCommit.commit()
        } catch {
            recent.forget(envelope.id)
            throw error
        }
        recent.update(envelope)
        messages.record(envelope)
    }

    /// Opens `incoming/<id>.body`, read in 64 KiB chunks on the thread pool, or the text in
    /// memory when it was written last (`RecentMessages`). The text stays readable through the
    /// returned body even if the message is removed meanwhile.
    package func openBody(_ id: QueueID) async throws -> SpoolBody {
        if let text = recent.text(id) {
            return SpoolBody { offset in
                guard offset < text.readableBytes else { return nil }
                return text.getSlice(at: text.readerIndex + offset, length: min(Self.chunkSize, text.readableBytes - offset))
            }
        }
        let paths = paths
        let text = try await threadPool.runBlocking { try MessageFiles.openText(id, paths: paths) }
        return body(reading: text.file, at: text.path, limit: text.length)
    }

    /// The file at `path`, or its first `limit` octets, read in 64 KiB chunks on the thread pool.
    func openBody(at path: String, limit: Int = .max) async throws -> SpoolBody {
        let file = try await threadPool.runBlocking { OpenFile(descriptor: try Posix.open(path, O_RDONLY | O_CLOEXEC)) }
        return body(reading: file, at: path, limit: limit)
    }

    /// The first `limit` octets of `file`, read in 64 KiB chunks on the thread pool.
    private func body(reading file: OpenFile, at path: String, limit: Int) -> SpoolBody {
        let threadPool = threadPool
        return SpoolBody { offset in
            guard offset < limit else { return nil }
            return try await threadPool.runIfActive {
                var chunk = ByteBuffer()
                let count = try chunk.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.chunkSize) {
                    try Posix.read(file.descriptor, into: UnsafeMutableRawBufferPointer(rebasing: $0.prefix(limit - offset)),
                                   at: offset, path: path)
                }
                return count == 0 ? nil : chunk
            }
        }
    }

    /// Takes the text away, then the envelope (`MessageFiles`), then fsyncs `incoming/`. The
    /// text of a message just written, if small, becomes a spare (`SpareFiles`); any other is
    /// unlinked.
    package func remove(_ id: QueueID) async throws {
        let spare = recent.envelope(id).flatMap { $0.size <= SpareFiles.largest ? self.spares.reserve() : nil }
        recent.forget(id)
        let (paths, spares, operations) = (paths, spares, operations)
        try await threadPool.runBlocking {
            // One file and its update, else the two-file layout (`MessageFiles`).
            let text = try Self.spareIfPresent(paths.message(id), as: spare, spares: spares, operations: operations)
                || Self.unlinkIfPresent(paths.message(id), operations: operations)
                || Self.unlinkIfPresent(paths.body(id), operations: operations)
            let envelope = try Self.unlinkIfPresent(paths.envelope(id), operations: operations)
            guard text || envelope else { throw SpoolError.unknownMessage(id) }
        }
        messages.forget(id)
        try await groupCommit.commit()
    }

    /// Reads every envelope in `incoming/`; one that no longer parses is quarantined and skipped.
    package func all() async throws -> [Envelope] {
        let (paths, operations, logger, messages, recent) = (paths, operations, logger, messages, recent)
        return try await threadPool.runBlocking {
            var envelopes: [Envelope] = []
            var quarantined = false
            var ids: Set<QueueID> = []
            for name in try Posix.listDirectory(paths.incoming) {
                if case (let id?, let kind) = Self.messageFile(name), kind == "msg" || kind == "env" { ids.insert(id) }
            }
            for id in ids {
                switch MessageFiles.readEnvelope(id, paths: paths) {
                case .success(let envelope):
                    envelopes.append(envelope)
                    messages.record(envelope)
                case .failure(SpoolError.unknownMessage):
                    continue
                case .failure(let error):
                    try Self.quarantine(id, paths: paths, operations: operations)
                    recent.forget(id)
                    quarantined = true
                    logger.error("spool quarantined message", metadata: ["queue_id": "\(id)", "reason": "\(error)"])
                }
            }
            if quarantined {
                try Posix.syncDirectory(paths.incoming, operations: operations)
                try Posix.syncDirectory(paths.corrupt, operations: operations)
            }
            return envelopes.sorted { $0.id < $1.id }
        }
    }

    /// `f_bavail × f_frsize` of the spool's file system (statvfs), at most a second old.
    /// Creates, writes and removes a file in `tmp/`, where every new message starts.
    package func checkWritable() async throws {
        let probe = "\(paths.temporary)/health.\(UInt32.random(in: .min ... .max))"
        try await threadPool.runBlocking {
            let descriptor = try Posix.open(probe, O_WRONLY | O_CREAT | O_EXCL)
            defer {
                Posix.close(descriptor)
                Posix.removeIfPresent(probe)
            }
            guard Posix.retryingInterrupts({ write(descriptor, "ok", 2) }) == 2 else {
                throw FileSystemError("write", path: probe)
            }
        }
    }

    package func freeSpace() async throws -> Int {
        let now = ContinuousClock.now
        if let last = lastFreeSpace.withLockedValue({ $0 }), now - last.at < .seconds(1) { return last.bytes }
        let root = paths.root
        let bytes = try await threadPool.runBlocking { try Posix.availableSpace(root) }
        lastFreeSpace.withLockedValue { $0 = (bytes, now) }
        return bytes
    }

    // MARK: Helpers (run on the thread pool)

    private static func messageFile(_ name: String) -> (QueueID?, Substring) {
        guard let dot = name.firstIndex(of: ".") else { return (nil, "") }
        return (QueueID(spoolFormat: String(name[..<dot])), name[name.index(after: dot)...])
    }

    /// Renames `path` into `spare/` as the reserved `name` (cancelled when nil or nothing is
    /// there); false when it did not.
    private static func spareIfPresent(
        _ path: String, as name: String?, spares: SpareFiles, operations: any FileOperations
    ) throws -> Bool {
        guard let name else { return false }
        do {
            try operations.rename(path, to: spares.path(of: name))
            spares.keep(name)
            return true
        } catch let error as FileSystemError where error.code == ENOENT {
            spares.cancel()
            return false
        } catch {
            spares.cancel()
            throw error
        }
    }

    /// Unlinks `path`; false when there was nothing.
    private static func unlinkIfPresent(_ path: String, operations: any FileOperations) throws -> Bool {
        do {
            try operations.unlink(path)
            return true
        } catch let error as FileSystemError where error.code == ENOENT {
            return false
        }
    }

    private static func quarantine(_ id: QueueID, paths: SpoolPaths, operations: any FileOperations) throws {
        for name in MessageFiles.names(of: id, paths: paths) {
            try quarantine(name, paths: paths, operations: operations)
        }
    }

    private static func quarantine(_ name: String, paths: SpoolPaths, operations: any FileOperations) throws {
        try operations.rename("\(paths.incoming)/\(name)", to: "\(paths.corrupt)/\(name)")
    }

    private static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
