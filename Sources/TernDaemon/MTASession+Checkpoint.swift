import Logging
import NIOCore
import TernConfig
import TernSMTPCore
import TernSMTPServer
import TernSpool
import TernMessage

/// Checkpoint/restart (RFC 1845, docs/behaviour.md §16): the record a TRANSID names, and stores whose
/// text survives a broken connection.
extension MTASession {
    func checkpoint(_ key: CheckpointKey) async -> CheckpointResume? {
        await releaseCheckpoint()
        claimedCheckpoint = key
        let record = await mta.checkpoints.claim(key, by: connection.control)
        if let record {
            logger.info("checkpoint resumed", metadata: [
                "transid": "\(key.transactionID)", "offset": "\(record.point.streamOffset)",
                "accepted_as": "\(record.acceptedAs?.description ?? "")",
            ])
        }
        resumable = record
        return record?.resume
    }

    func beginCheckpointedMessage(_ key: CheckpointKey, command: CheckpointCommand, resume: CheckpointResume?)
        async throws(Reply) -> any CheckpointedMessageSink
    {
        let syncEvery = mta.configuration.checkpoint.syncEvery
        do {
            let writer: any CheckpointWriter
            if let record = resumable, record.key == key, resume != nil {
                writer = try await mta.spool.resumeCheckpointed(record, syncEvery: syncEvery)
            } else {
                writer = try await mta.spool.beginCheckpointed(key, command: command, syncEvery: syncEvery)
            }
            await mta.checkpoints.update(writer.record)
            return CheckpointSink(writer: writer, spool: mta.spool, registry: mta.checkpoints, session: self)
        } catch {
            logger.error("checkpoint store unavailable", metadata: ["error": "\(error)"])
            throw Reply.localError
        }
    }

    func sessionEnded() async {
        await releaseCheckpoint()
    }

    /// Lets go of the record this session works on, so a later session can take it at once.
    func releaseCheckpoint() async {
        guard let key = claimedCheckpoint else { return }
        claimedCheckpoint = nil
        resumable = nil
        await mta.checkpoints.release(key, by: connection.control)
    }
}

/// Streams a checkpointed message's text into its spool writer, reports resume points, and
/// keeps the registry's record in step with what is on disk.
struct CheckpointSink: CheckpointedMessageSink {
    let writer: any CheckpointWriter
    let spool: any CheckpointSpool
    let registry: CheckpointRegistry
    let session: MTASession

    func write(_ bytes: ByteBuffer) async throws {
        try await writer.append(bytes)
    }

    func readStored(_ each: (ByteBuffer) async -> Void) async throws {
        for try await chunk in try await spool.storedText(of: writer.record) {
            await each(chunk)
        }
    }

    func reached(_ point: ResumePoint) async {
        await writer.reached(point)
        await registry.update(writer.record)
    }

    func suspend() async {
        await writer.suspend()
        await registry.update(writer.record)
    }

    func commit(_ summary: MessageSummary) async throws(Reply) -> QueueID {
        let result: Result<QueueID, Reply>
        do throws(Reply) {
            result = .success(try await session.commit(writer, summary))
        } catch {
            result = .failure(error)
        }
        await registry.update(writer.record)
        return try result.get()
    }

    func abort() async {
        let key = writer.record.key
        await writer.abort()
        await registry.remove(key)
    }
}
