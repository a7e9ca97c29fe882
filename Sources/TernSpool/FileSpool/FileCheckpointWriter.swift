import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TernIO
import TernMessage
import TernSMTPCore

/// The text of a checkpointed message in `partial/<record>.body`, its record beside it in
/// `partial/<record>.meta`. At each sync: body fsync, then the record rewritten (temporary
/// file, fsync, rename, directory fsync), so the record never names text that isn't on disk.
final class FileCheckpointWriter: CheckpointWriter {
    private let body: FileSpoolWriter
    private let files: CheckpointFiles
    private let syncEvery: Int
    private let threadPool: NIOThreadPool
    private let logger: Logger
    private let progress: NIOLockedValueBox<CheckpointProgress>

    init(body: FileSpoolWriter, record: CheckpointRecord, files: CheckpointFiles, syncEvery: Int,
         threadPool: NIOThreadPool, logger: Logger) {
        self.body = body
        self.files = files
        self.syncEvery = max(1, syncEvery)
        self.threadPool = threadPool
        self.logger = logger
        progress = NIOLockedValueBox(CheckpointProgress(record))
    }

    var id: QueueID { body.id }
    var size: Int { body.size }
    /// Nil: a checkpointed text is kept in its file for a resume, never delivered from memory.
    var textInMemory: ByteBuffer? { nil }
    var record: CheckpointRecord { progress.withLockedValue { $0.record } }

    func append(_ bytes: ByteBuffer) async throws {
        try await body.append(bytes)
    }

    func reached(_ point: ResumePoint) async {
        if progress.withLockedValue({ $0.reach(point, syncEvery: syncEvery) }) { await sync() }
    }

    func suspend() async {
        await sync()
        await body.abort()
        logger.info("checkpoint kept", metadata: [
            "checkpoint": "\(record.id)", "offset": "\(record.point.streamOffset)",
        ])
    }

    /// Records the commit under way, commits (the body is linked into `incoming/`), then
    /// marks the record accepted and drops its partial text.
    func commit(_ envelope: Envelope) async throws {
        var committing = record
        committing.committing = body.id
        try await write(committing)
        do {
            try await body.commit(envelope)
        } catch {
            committing.committing = nil
            try? await write(committing)
            throw error
        }
        var accepted = progress.withLockedValue { $0.accepted(as: body.id, size: body.size) }
        accepted.committing = nil
        do {
            try await write(accepted)
            let bodyPath = files.body(accepted.id)
            try? await threadPool.runBlocking { Posix.removeIfPresent(bodyPath) }
        } catch {
            // The message is committed; recovery finds `committing` and completes the record.
            logger.error("checkpoint record not updated after commit", metadata: [
                "checkpoint": "\(accepted.id)", "queue_id": "\(body.id)", "error": "\(error)",
            ])
        }
    }

    /// The message was refused or reset: the record and its text go.
    func abort() async {
        await body.abort()
        let (record, files) = (record, files)
        try? await threadPool.runBlocking { try files.remove(record.id) }
    }

    /// Makes the text durable up to the last point reached and records it.
    private func sync() async {
        let updated = progress.withLockedValue { $0.synced() }
        do {
            try await body.synchronize()
            try await write(updated)
        } catch {
            logger.error("checkpoint sync failed", metadata: ["checkpoint": "\(updated.id)", "error": "\(error)"])
        }
    }

    private func write(_ record: CheckpointRecord) async throws {
        let files = files
        try await threadPool.runBlocking { try files.write(record) }
        progress.withLockedValue { $0.stored(record) }
    }
}

/// The files of checkpoint records in `partial/`.
struct CheckpointFiles: Sendable {
    let directory: String
    let operations: any FileOperations

    func body(_ id: String) -> String { "\(directory)/\(id).body" }
    func meta(_ id: String) -> String { "\(directory)/\(id).meta" }

    /// Writes the record atomically and durably (temporary file, fsync, rename, directory fsync).
    func write(_ record: CheckpointRecord) throws {
        let path = meta(record.id)
        try DurableFile.replace(
            path, with: CheckpointRecordFormat.encode(record), temporaryPath: path + ".tmp", operations: operations)
    }

    /// Removes a record (first, so no record names missing text) and its text.
    func remove(_ id: String) throws {
        Posix.removeIfPresent(meta(id))
        Posix.removeIfPresent(body(id))
        try Posix.syncDirectory(directory, operations: operations)
    }
}
