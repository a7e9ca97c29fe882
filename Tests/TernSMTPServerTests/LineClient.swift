import NIOCore
import NIOPosix

/// A raw TCP client for tests: sends octets, reads until the server's output contains a
/// marker, bounded by a deadline.
struct LineClient {
    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>

    static func connect(port: Int) async throws -> LineClient {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return LineClient(channel: channel)
    }

    /// Sends `text`, then reads until the output holds `until` (or the server closes) and
    /// returns everything read; fails after `seconds`.
    func exchange(_ text: String, until marker: String, seconds: Int64 = 5) async throws -> String {
        try await channel.executeThenClose { inbound, outbound in
            if !text.isEmpty { try await outbound.write(ByteBuffer(string: text)) }
            return try await withThrowingTaskGroup(of: String?.self) { group in
                group.addTask {
                    var received = ""
                    for try await chunk in inbound {
                        received += String(buffer: chunk)
                        if received.contains(marker) { return received }
                    }
                    return received
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(seconds))
                    return nil
                }
                let first = try await group.next()!
                group.cancelAll()
                guard let first else { throw TimedOut(marker: marker) }
                return first
            }
        }
    }

    struct TimedOut: Error {
        var marker: String
    }
}
