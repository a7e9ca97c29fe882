import NIOConcurrencyHelpers
package import NIOCore

/// The peer made no progress within the timeout; the channel has been closed.
package struct PeerTimedOut: Error {}

/// Bounds each wait on the peer (a reply, or room to write): when `timeout` passes first, the
/// channel is closed, which ends the wait, and the wait throws `PeerTimedOut`. Also bounds the
/// daemon's control connections.
///
/// The timer is a task scheduled on the channel's event loop and cancelled when the wait ends:
/// no task, task group or sleep of Swift concurrency per wait.
package struct Deadline {
    package let timeout: Duration
    package let channel: any Channel

    package init(timeout: Duration, channel: any Channel) {
        self.timeout = timeout
        self.channel = channel
    }

    package func run<Result>(_ operation: () async throws -> Result) async throws -> Result {
        let fired = NIOLockedValueBox(false)
        let timer = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) { [channel] in
            fired.withLockedValue { $0 = true }
            channel.close(promise: nil)
        }
        let outcome: Swift.Result<Result, any Error>
        do {
            outcome = .success(try await operation())
        } catch {
            outcome = .failure(error)
        }
        timer.cancel()
        if fired.withLockedValue({ $0 }) { throw PeerTimedOut() }
        return try outcome.get()
    }
}
