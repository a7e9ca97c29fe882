package import TernSMTPCore

/// Checkpointed transactions kept by the spool between sessions (RFC 1845, docs/behaviour.md §16).
package protocol CheckpointSpool: Sendable {
    /// Every record, commits interrupted by a crash settled (at start, after `recover()`).
    func checkpoints() async throws -> [CheckpointRecord]
    /// A new record for `key` (the 354 of DATA or the first BDAT), written at once with
    /// offset 0, and a writer for its text.
    func beginCheckpointed(_ key: CheckpointKey, command: CheckpointCommand, syncEvery: Int) async throws
        -> any CheckpointWriter
    /// A writer that goes on after the stored text of `record`.
    func resumeCheckpointed(_ record: CheckpointRecord, syncEvery: Int) async throws -> any CheckpointWriter
    /// The stored text of `record`, up to its resume point.
    func storedText(of record: CheckpointRecord) async throws -> SpoolBody
    /// Removes a record and its text.
    func removeCheckpoint(_ record: CheckpointRecord) async throws
}

/// The text of a checkpointed message: a `SpoolWriter` whose text survives a broken
/// connection up to the last resume point made durable.
package protocol CheckpointWriter: SpoolWriter {
    /// The record as last made durable.
    var record: CheckpointRecord { get }
    /// The text can be resumed after `point`: made durable once `syncEvery` octets have been
    /// stored since the last time. Failures are logged and leave the last durable point.
    func reached(_ point: ResumePoint) async
    /// The connection broke: the text is made durable up to the last point reached, the file
    /// closed and the record kept.
    func suspend() async
}
