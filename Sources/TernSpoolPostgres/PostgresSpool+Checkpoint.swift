import Foundation
import NIOCore
import PostgresNIO
import TernMessage
package import TernSMTPCore
package import TernSpool

/// Checkpoint records in `tern_checkpoint` (RFC 1845, docs/behaviour.md §16), their text in
/// `tern_text` under `partial:<record>`. A record names only text that is stored: the text is
/// written before the record that counts it, and a commit moves the text to the message,
/// inserts the envelope and marks the record accepted in one statement, so there is nothing
/// for a restart to settle. Each node sees the records of the transfers it received: a
/// transfer resumes on the node it was broken on.
extension PostgresSpool: CheckpointSpool {
    package func checkpoints() async throws -> [CheckpointRecord] {
        let rows = try await client.query(
            "SELECT id, record FROM tern_checkpoint WHERE node = \(node) OR node IS NULL ORDER BY id", logger: logger
        ).collect()
        var records: [CheckpointRecord] = []
        for row in rows {
            let (id, bytes) = try row.decode((String, ByteBuffer).self)
            guard let record = CheckpointRecordFormat.decode(Array(bytes.readableBytesView)), record.id == id else {
                logger.error("checkpoint record unreadable: removed", metadata: ["checkpoint": "\(id)"])
                try await removeCheckpoint(id: id)
                continue
            }
            records.append(record)
        }
        return records
    }

    package func beginCheckpointed(_ key: CheckpointKey, command: CheckpointCommand, syncEvery: Int) async throws
        -> any CheckpointWriter
    {
        let record = CheckpointRecord(id: CheckpointRecord.newID(), key: key, command: command, updated: Date())
        try await client.query(
            "INSERT INTO tern_checkpoint (id, record, node) VALUES (\(record.id), \(Self.record(record)), \(node))",
            logger: logger)
        return checkpointWriter(record, text: PostgresText(owner: PostgresText.partialOwner(record.id), upload: nil),
                                syncEvery: syncEvery)
    }

    /// Cuts the stored text back to the record's resume point and goes on from there.
    package func resumeCheckpointed(_ record: CheckpointRecord, syncEvery: Int) async throws -> any CheckpointWriter {
        let owner = PostgresText.partialOwner(record.id)
        let (full, rest) = record.point.storedLength.quotientAndRemainder(dividingBy: Self.chunkSize)
        let rows = try await client.query("""
            WITH d AS (DELETE FROM tern_text WHERE owner = \(owner)
                       AND (seq > \(Int32(full)) OR (seq = \(Int32(full)) AND \(rest == 0))))
            SELECT substring(data FROM 1 FOR \(Int32(rest))) FROM tern_text
            WHERE owner = \(owner) AND seq = \(Int32(full)) AND \(rest > 0)
            """, logger: logger).collect()
        var tail = ByteBuffer()
        if rest > 0 {
            guard let stored = try rows.first?.decode(ByteBuffer.self), stored.readableBytes == rest else {
                throw PostgresSpoolError.missingText(owner: owner, chunk: full)
            }
            tail = stored
        }
        return checkpointWriter(record, text: PostgresText(owner: owner, upload: nil, stored: full, tail: tail),
                                syncEvery: syncEvery)
    }

    package func storedText(of record: CheckpointRecord) async throws -> SpoolBody {
        let owner = PostgresText.partialOwner(record.id)
        return text(of: owner, size: record.point.storedLength) { PostgresSpoolError.missingText(owner: owner, chunk: 0) }
    }

    package func removeCheckpoint(_ record: CheckpointRecord) async throws {
        try await removeCheckpoint(id: record.id)
    }

    /// Deletes a record and its text in one statement.
    func removeCheckpoint(id: String) async throws {
        try await client.query("""
            WITH c AS (DELETE FROM tern_checkpoint WHERE id = \(id))
            DELETE FROM tern_text WHERE owner = \(PostgresText.partialOwner(id))
            """, logger: logger)
    }

    /// Stores `record` as it is now.
    func store(_ record: CheckpointRecord) async throws {
        try await client.query(
            "UPDATE tern_checkpoint SET record = \(Self.record(record)) WHERE id = \(record.id)", logger: logger)
    }

    private func checkpointWriter(_ record: CheckpointRecord, text: PostgresText, syncEvery: Int)
        -> PostgresCheckpointWriter
    {
        PostgresCheckpointWriter(
            body: PostgresSpoolWriter(id: QueueID(date: Date()), text: text, spool: self), record: record,
            syncEvery: syncEvery, spool: self)
    }
}
