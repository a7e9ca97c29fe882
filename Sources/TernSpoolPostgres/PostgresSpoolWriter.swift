import NIOConcurrencyHelpers
import NIOCore
import PostgresNIO
import TernMessage
import TernSMTPCore
import TernSpool

/// Streams one message into `tern_text`, chunk by chunk as they fill, and commits it with its
/// envelope in one statement (`PostgresSpool`).
///
/// A small message is never written before its commit: `textInMemory` lets local delivery
/// at acceptance use it (docs/architecture.md "Local delivery at acceptance").
final class PostgresSpoolWriter: SpoolWriter {
    private struct State {
        var text: PostgresText
        var finished = false
    }

    let id: QueueID
    private let spool: PostgresSpool
    private let state: NIOLockedValueBox<State>

    init(id: QueueID, text: PostgresText, spool: PostgresSpool) {
        self.id = id
        self.spool = spool
        state = NIOLockedValueBox(State(text: text))
    }

    var size: Int { state.withLockedValue { $0.text.size } }

    var textInMemory: ByteBuffer? {
        state.withLockedValue { $0.finished ? nil : $0.text.inMemory }
    }

    var owner: String { state.withLockedValue { $0.text.owner } }

    func append(_ bytes: ByteBuffer) async throws {
        let (full, text) = try state.withLockedValue { state in
            guard !state.finished else { throw SpoolError.writerFinished(id) }
            return (state.text.append(bytes), state.text)
        }
        do {
            for chunk in full { try await store(chunk, of: text) }
        } catch {
            await abort()
            throw error
        }
    }

    /// Stores the tail as it is now, so everything appended is in the database (a
    /// checkpoint's sync); the tail stays in memory and is stored again as it grows.
    func synchronize() async throws {
        let text = state.withLockedValue { $0.text }
        if let tail = text.tailChunk { try await store(tail, of: text) }
    }

    func commit(_ envelope: Envelope) async throws {
        try await commit(envelope, recording: nil)
    }

    /// Commits in one statement: the tail, the text moved from a checkpoint's owner to the
    /// queue id, the upload row dropped, `record` (a checkpoint completed by this message)
    /// stored, and the envelope inserted. On failure a message's text goes; a checkpoint's
    /// stays with its record for a resume.
    func commit(_ envelope: Envelope, recording record: CheckpointRecord?) async throws {
        let text = try finish()
        var envelope = envelope
        envelope.id = id
        envelope.size = text.size
        let (queueID, tail) = (id.description, text.tailChunk)
        let tailSeq = Int32(text.stored)
        do {
            try await SpoolMetrics.timeCommit(.postgres) {
                _ = try await spool.client.query("""
                    WITH t AS (INSERT INTO tern_text (owner, seq, data)
                               SELECT \(queueID), \(tailSeq), \(tail?.data ?? ByteBuffer()) WHERE \(tail != nil)),
                         m AS (UPDATE tern_text SET owner = \(queueID)
                               WHERE owner = \(text.owner) AND owner <> \(queueID) AND seq < \(tailSeq)),
                         x AS (DELETE FROM tern_text WHERE owner = \(text.owner) AND seq >= \(tailSeq)),
                         u AS (DELETE FROM tern_upload WHERE owner = \(queueID)),
                         c AS (UPDATE tern_checkpoint SET record = \(record.map(PostgresSpool.record) ?? ByteBuffer())
                               WHERE id = \(record?.id ?? ""))
                    INSERT INTO tern_message (id, envelope, size, held, next_attempt)
                    VALUES (\(queueID), \(PostgresSpool.record(envelope)), \(Int64(text.size)), \(envelope.held),
                            \(envelope.nextAttempt))
                    """, logger: spool.logger)
            }
        } catch {
            if text.upload != nil { await discard(text) }
            throw error
        }
    }

    /// Marks the writer finished; returns the text as written.
    func finish() throws -> PostgresText {
        try state.withLockedValue { state in
            guard !state.finished else { throw SpoolError.writerFinished(id) }
            state.finished = true
            return state.text
        }
    }

    /// Removes what was stored, unless a commit did store the message after all (its result
    /// was lost with the connection: the client, told 451, may send it again, and the message
    /// is delivered twice rather than lost). A text that fails to go stays registered as this
    /// node's upload, which the node removes when it next starts.
    func abort() async {
        let text: PostgresText? = state.withLockedValue { state in
            defer { state.finished = true }
            return state.finished ? nil : state.text
        }
        if let text, text.upload != nil { await discard(text) }
    }

    private func discard(_ text: PostgresText) async {
        guard text.stored > 0 else { return }
        do {
            try await spool.client.query("""
                WITH t AS (DELETE FROM tern_text WHERE owner = \(text.owner)
                           AND NOT EXISTS (SELECT 1 FROM tern_message WHERE id = \(text.owner)))
                DELETE FROM tern_upload WHERE owner = \(text.owner)
                """, logger: spool.logger)
        } catch {
            spool.logger.error("text not removed", metadata: ["queue_id": "\(id)", "error": "\(String(reflecting: error))"])
        }
    }

    /// Stores one chunk (again, for a tail that grew); the first one of a message also
    /// registers the upload.
    private func store(_ chunk: PostgresText.Chunk, of text: PostgresText) async throws {
        if let node = text.upload {
            try await spool.client.query("""
                WITH u AS (INSERT INTO tern_upload (owner, node) VALUES (\(text.owner), \(node))
                           ON CONFLICT (owner) DO NOTHING)
                INSERT INTO tern_text (owner, seq, data) VALUES (\(text.owner), \(chunk.seq), \(chunk.data))
                ON CONFLICT (owner, seq) DO UPDATE SET data = EXCLUDED.data
                """, logger: spool.logger)
        } else {
            try await spool.client.query("""
                INSERT INTO tern_text (owner, seq, data) VALUES (\(text.owner), \(chunk.seq), \(chunk.data))
                ON CONFLICT (owner, seq) DO UPDATE SET data = EXCLUDED.data
                """, logger: spool.logger)
        }
    }
}
