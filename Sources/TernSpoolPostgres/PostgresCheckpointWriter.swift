import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import TernMessage
import TernSMTPCore
import TernSpool

/// The text of a checkpointed message in `tern_text` under `partial:<record>`. At each sync
/// the text is stored up to the point reached, then the record that counts it.
final class PostgresCheckpointWriter: CheckpointWriter {
    private let body: PostgresSpoolWriter
    private let spool: PostgresSpool
    private let syncEvery: Int
    private let progress: NIOLockedValueBox<CheckpointProgress>

    init(body: PostgresSpoolWriter, record: CheckpointRecord, syncEvery: Int, spool: PostgresSpool) {
        self.body = body
        self.spool = spool
        self.syncEvery = max(1, syncEvery)
        progress = NIOLockedValueBox(CheckpointProgress(record))
    }

    var id: QueueID { body.id }
    var size: Int { body.size }
    /// Nil: a checkpointed text is kept for a resume, never delivered from memory.
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
        _ = try? body.finish()
        spool.logger.info("checkpoint kept", metadata: [
            "checkpoint": "\(record.id)", "offset": "\(record.point.streamOffset)",
        ])
    }

    /// Commits the message and marks the record accepted in the same statement.
    func commit(_ envelope: Envelope) async throws {
        let accepted = progress.withLockedValue { $0.accepted(as: body.id, size: body.size) }
        try await body.commit(envelope, recording: accepted)
        progress.withLockedValue { $0.stored(accepted) }
    }

    /// The message was refused or reset: the record and its text go.
    func abort() async {
        _ = try? body.finish()
        do {
            try await spool.removeCheckpoint(record)
        } catch {
            spool.logger.error("checkpoint not removed", metadata: ["checkpoint": "\(record.id)", "error": "\(error)"])
        }
    }

    /// Stores the text up to the last point reached, then the record.
    private func sync() async {
        let updated = progress.withLockedValue { $0.synced() }
        do {
            try await body.synchronize()
            try await spool.store(updated)
            progress.withLockedValue { $0.stored(updated) }
        } catch {
            spool.logger.error("checkpoint sync failed", metadata: ["checkpoint": "\(updated.id)", "error": "\(error)"])
        }
    }
}
