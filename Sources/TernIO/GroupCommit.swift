/// Shares one directory fsync among concurrent commits (group commit): the spool's `incoming/`,
/// and each Maildir's `new/` (docs/architecture.md).
///
/// A committer calls `commit()` after its renames. If no fsync is running it runs one itself;
/// otherwise it waits, because the running fsync may have started before its rename. When an
/// fsync ends, everyone who was waiting before it started is done, and one of those who
/// arrived during it leads the next fsync for all of them.
package actor GroupCommit {
    private enum Turn {
        case synced
        case lead
    }

    private let sync: @Sendable () async throws -> Void
    private let synced: @Sendable (_ committers: Int) -> Void
    private var running = false
    private var waiting: [CheckedContinuation<Turn, any Error>] = []

    /// A batcher running `sync` (an fsync of one directory) for each group, and telling
    /// `synced` how many committers each successful sync served.
    package init(
        sync: @escaping @Sendable () async throws -> Void, synced: @escaping @Sendable (_ committers: Int) -> Void = { _ in }
    ) {
        self.sync = sync
        self.synced = synced
    }

    /// Committers waiting for the next fsync.
    package var waitingCount: Int { waiting.count }

    /// Returns once an fsync that started after this call has finished; throws its error.
    package func commit() async throws {
        if running {
            let turn = try await withCheckedThrowingContinuation { waiting.append($0) }
            if case .synced = turn { return }
        } else {
            running = true
        }
        let group = waiting
        waiting = []
        let result: Result<Turn, any Error>
        do {
            try await sync()
            synced(group.count + 1)
            result = .success(.synced)
        } catch {
            result = .failure(error)
        }
        for committer in group {
            committer.resume(with: result)
        }
        if waiting.isEmpty {
            running = false
        } else {
            waiting.removeFirst().resume(returning: .lead)
        }
        _ = try result.get()
    }
}
