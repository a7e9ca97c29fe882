#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging
import NIOCore
import NIOPosix
import TernIO
import TernMessage
package import TernSMTPCore

/// Checkpoint records in `partial/` (RFC 1845, docs/behaviour.md §16): `<record>.meta` and the stored
/// text `<record>.body`. A record names only text that is on disk: the text is fsynced before
/// the record that counts it is renamed into place.
extension FileSpool: CheckpointSpool {
    var checkpointFiles: CheckpointFiles {
        CheckpointFiles(directory: paths.partial, operations: operations)
    }

    package func checkpoints() async throws -> [CheckpointRecord] {
        let (files, paths, logger) = (checkpointFiles, paths, logger)
        return try await threadPool.runBlocking { try Self.settleCheckpoints(files, paths: paths, logger: logger) }
    }

    package func beginCheckpointed(_ key: CheckpointKey, command: CheckpointCommand, syncEvery: Int) async throws
        -> any CheckpointWriter
    {
        let files = checkpointFiles
        let record = CheckpointRecord(id: CheckpointRecord.newID(), key: key, command: command, updated: Date())
        let descriptor = try await threadPool.runBlocking {
            let descriptor = try Posix.open(files.body(record.id), Posix.createExclusive)
            do {
                try files.write(record)
            } catch {
                Posix.close(descriptor)
                Posix.removeIfPresent(files.body(record.id))
                throw error
            }
            return descriptor
        }
        return checkpointWriter(record, descriptor: descriptor, size: 0, syncEvery: syncEvery)
    }

    package func resumeCheckpointed(_ record: CheckpointRecord, syncEvery: Int) async throws -> any CheckpointWriter {
        let path = checkpointFiles.body(record.id)
        let descriptor = try await threadPool.runBlocking {
            let descriptor = try Posix.open(path, O_WRONLY | O_CLOEXEC)
            do {
                try Posix.truncate(descriptor, to: record.point.storedLength, path: path)
            } catch {
                Posix.close(descriptor)
                throw error
            }
            return descriptor
        }
        return checkpointWriter(record, descriptor: descriptor, size: record.point.storedLength, syncEvery: syncEvery)
    }

    package func storedText(of record: CheckpointRecord) async throws -> SpoolBody {
        try await openBody(at: checkpointFiles.body(record.id), limit: record.point.storedLength)
    }

    package func removeCheckpoint(_ record: CheckpointRecord) async throws {
        let files = checkpointFiles
        try await threadPool.runBlocking { try files.remove(record.id) }
    }

    private func checkpointWriter(_ record: CheckpointRecord, descriptor: CInt, size: Int, syncEvery: Int)
        -> FileCheckpointWriter
    {
        let body = FileSpoolWriter(
            id: QueueID(), descriptor: descriptor, paths: paths, threadPool: threadPool, operations: operations,
            groupCommit: groupCommit, census: messages, recent: recent, logger: logger,
            bodyPath: checkpointFiles.body(record.id),
            size: size)
        return FileCheckpointWriter(
            body: body, record: record, files: checkpointFiles, syncEvery: syncEvery, threadPool: threadPool,
            logger: logger)
    }

    /// Reads every record and settles what a crash left (run before the incoming messages are
    /// recovered, so a body linked by an unfinished commit is still there to tell): a commit
    /// whose envelope is in `incoming/` completes its record; one whose envelope is not is
    /// undone. Unreadable records, text without a record and records without their text go.
    static func settleCheckpoints(_ files: CheckpointFiles, paths: SpoolPaths, logger: Logger) throws -> [CheckpointRecord] {
        var records: [CheckpointRecord] = []
        var bodies: Set<String> = []
        var metas: [String] = []
        for name in try Posix.listDirectory(files.directory) {
            if name.hasSuffix(".meta") {
                metas.append(String(name.dropLast(5)))
            } else if name.hasSuffix(".body") {
                bodies.insert(String(name.dropLast(5)))
            } else {
                Posix.removeIfPresent("\(files.directory)/\(name)")
            }
        }
        for id in metas.sorted() {
            let hasBody = bodies.remove(id) != nil
            guard var record = (try? Posix.readFile(files.meta(id))).flatMap(CheckpointRecordFormat.decode),
                  record.id == id else {
                logger.error("checkpoint record unreadable: removed", metadata: ["checkpoint": "\(id)"])
                try files.remove(id)
                continue
            }
            if let queued = record.committing {
                record.committing = nil
                if Posix.exists(paths.envelope(queued)) {
                    record.acceptedAs = queued
                    Posix.removeIfPresent(files.body(id))
                }
                try files.write(record)
            }
            if record.acceptedAs == nil && !hasBody {
                logger.error("checkpoint text missing: record removed", metadata: ["checkpoint": "\(id)"])
                try files.remove(id)
                continue
            }
            records.append(record)
        }
        for id in bodies { Posix.removeIfPresent(files.body(id)) }
        return records
    }
}
