import NIOCore

/// The peer of a control connection made no progress in time; the channel has been closed.
struct ControlTimeout: Error {}

/// Bounds a wait on the peer of a control connection: when `timeout` passes first, the channel
/// is closed, which ends the wait, and the wait throws ``ControlTimeout``.
struct ControlDeadline {
    let timeout: Duration
    let channel: any Channel

    func run<Result>(_ operation: () async throws -> Result) async throws -> Result {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { [timeout, channel] in
                try await Task.sleep(for: timeout)
                channel.close(promise: nil)
                return true
            }
            let outcome: Swift.Result<Result, any Error>
            do {
                outcome = .success(try await operation())
            } catch {
                outcome = .failure(error)
            }
            group.cancelAll()
            if (try? await group.next()) == true { throw ControlTimeout() }
            return try outcome.get()
        }
    }
}
