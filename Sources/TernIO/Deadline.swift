package import NIOCore

/// The peer made no progress within the timeout; the channel has been closed.
package struct PeerTimedOut: Error {}

/// Bounds each wait on the peer (a reply, or room to write): when `timeout` passes first, the
/// channel is closed, which ends the wait, and the wait throws `PeerTimedOut`. Also bounds the
/// daemon's control connections.
package struct Deadline {
    package let timeout: Duration
    package let channel: any Channel

    package init(timeout: Duration, channel: any Channel) {
        self.timeout = timeout
        self.channel = channel
    }

    package func run<Result>(_ operation: () async throws -> Result) async throws -> Result {
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
            let fired = (try? await group.next()) == true
            if fired { throw PeerTimedOut() }
            return try outcome.get()
        }
    }
}
