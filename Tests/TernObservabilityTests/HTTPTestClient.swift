import NIOCore
import NIOPosix

/// A raw HTTP/1.1 client for tests: writes requests as given and reads until the server closes
/// the connection, bounded by a deadline.
enum HTTPTestClient {
    struct TimedOut: Error {}

    /// Sends `requests` (complete request texts) on one connection and returns all the server
    /// wrote until it closed; fails after `seconds`.
    static func exchange(port: Int, _ requests: String, seconds: Int64 = 5) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            if !requests.isEmpty { try await outbound.write(ByteBuffer(string: requests)) }
            return try await withThrowingTaskGroup(of: String?.self) { group in
                group.addTask {
                    var received = ""
                    for try await chunk in inbound { received += String(buffer: chunk) }
                    return received
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(seconds))
                    return nil
                }
                let first = try await group.next()!
                group.cancelAll()
                guard let first else { throw TimedOut() }
                return first
            }
        }
    }

    /// `GET path` with `Connection: close`.
    static func get(port: Int, _ path: String, method: String = "GET") async throws -> String {
        try await exchange(port: port, "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    }
}
