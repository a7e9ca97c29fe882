import Foundation
import Logging
import TernSMTPCore
import TernSMTPServer
import TernSpool

/// The checkpoint records of the running server by key, and which live session holds each
/// (docs/behaviour.md §16): a MAIL that names a record held by another session closes that session and
/// waits until its text is synced before it answers 355.
actor CheckpointRegistry {
    private var records: [CheckpointKey: CheckpointRecord] = [:]
    private var holders: [CheckpointKey: ConnectionControl] = [:]
    private var waiting: [CheckpointKey: [CheckedContinuation<Void, Never>]] = [:]
    private let logger: Logger

    /// How long a claim waits for the session it closed to let go.
    static let takeoverWait = Duration.seconds(10)

    init(_ records: [CheckpointRecord], logger: Logger) {
        for record in records { self.records[record.key] = record }
        self.logger = logger
    }

    /// The record of `key` for the session behind `control`, which holds it from now on; a
    /// session that held it is closed first. Nil when there is none.
    func claim(_ key: CheckpointKey, by control: ConnectionControl) async -> CheckpointRecord? {
        if let holder = holders[key], holder != control {
            logger.info("checkpoint taken over from a live session", metadata: ["transid": "\(key.transactionID)"])
            holder.close()
            await waitForRelease(of: key)
        }
        holders[key] = control
        return records[key]
    }

    /// The session behind `control` no longer works on `key`.
    func release(_ key: CheckpointKey, by control: ConnectionControl) {
        guard holders[key] == control else { return }
        holders[key] = nil
        for waiter in waiting.removeValue(forKey: key) ?? [] { waiter.resume() }
    }

    /// The record as last made durable.
    func update(_ record: CheckpointRecord) {
        records[record.key] = record
    }

    /// The record is gone (its message was refused or reset).
    func remove(_ key: CheckpointKey) {
        records[key] = nil
    }

    /// Every record, oldest first.
    func all() -> [CheckpointRecord] {
        records.values.sorted { $0.updated < $1.updated }
    }

    /// Takes out the records not written since `cutoff` and not held by a session.
    func expire(before cutoff: Date) -> [CheckpointRecord] {
        let expired = records.values.filter { $0.updated < cutoff && holders[$0.key] == nil }
        for record in expired { records[record.key] = nil }
        return expired
    }

    private func waitForRelease(of key: CheckpointKey) async {
        let released = Task { [weak self] in
            guard (try? await Task.sleep(for: Self.takeoverWait)) != nil else { return }
            await self?.stopWaiting(for: key)
        }
        defer { released.cancel() }
        guard holders[key] != nil else { return }
        await withCheckedContinuation { waiting[key, default: []].append($0) }
    }

    /// The closed session did not let go in time: the claim goes on without it.
    private func stopWaiting(for key: CheckpointKey) {
        guard let waiters = waiting.removeValue(forKey: key) else { return }
        logger.warning("checkpoint holder did not let go in time", metadata: ["transid": "\(key.transactionID)"])
        holders[key] = nil
        for waiter in waiters { waiter.resume() }
    }
}
