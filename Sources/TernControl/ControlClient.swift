#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
package import NIOCore
import NIOPosix
import TernIO
import TernMessage
package import TernSMTPCore

/// The client side of the control socket, for `tern queue`: each call connects, sends one
/// request, reads one response and closes.
///
/// Every call throws ``ControlClientError``: ``ControlClientError/notRunning(path:)`` when no
/// server listens at `path`, ``ControlClientError/rejected(_:)`` with the server's reason when
/// it did not carry out the request (an unknown message id, say).
package struct ControlClient: Sendable {
    /// The control socket.
    package let path: String
    /// How long a call may take once connected.
    package let timeout: Duration

    /// A client of the server whose control socket is `path`.
    package init(path: String, timeout: Duration = .seconds(30)) {
        self.path = path
        self.timeout = timeout
    }

    /// Every queued message, oldest first.
    package func list() async throws -> [QueueEntry] {
        guard case .entries(let entries) = try await send(.list) else { throw unexpected(.list) }
        return entries
    }

    /// Every checkpoint record, oldest first.
    package func partial() async throws -> [PartialEntry] {
        guard case .partials(let partials) = try await send(.partial) else { throw unexpected(.partial) }
        return partials
    }

    /// One message with its header section.
    package func show(_ id: QueueID) async throws -> QueueMessageDetail {
        guard case .message(let message) = try await send(.show(id)) else { throw unexpected(.show) }
        return message
    }

    /// Schedules the messages that are not held (with a recipient in `domain`, if given) for
    /// an attempt now; returns how many.
    package func flush(domain: String?) async throws -> Int {
        guard case .scheduled(let count) = try await send(.flush(domain: domain)) else { throw unexpected(.flush) }
        return count
    }

    /// Keeps a message from delivery until it is released.
    package func hold(_ id: QueueID) async throws {
        try await expectDone(.hold(id))
    }

    /// Lets a held message go again.
    package func release(_ id: QueueID) async throws {
        try await expectDone(.release(id))
    }

    /// Removes a message without a report to its sender.
    package func delete(_ id: QueueID) async throws {
        try await expectDone(.delete(id))
    }

    /// Fails a message's undelivered recipients and reports to its sender.
    package func bounce(_ id: QueueID) async throws {
        try await expectDone(.bounce(id))
    }

    /// Sends `request` and returns the server's response; a failure response throws
    /// ``ControlClientError/rejected(_:)``.
    package func send(_ request: ControlRequest) async throws -> ControlResponse {
        let answer = try await exchange(try ControlSocket.encode(request))
        let response: ControlResponse
        do {
            response = try ControlSocket.decode(ControlResponse.self, from: answer)
        } catch {
            throw ControlClientError.badAnswer(path: path, reason: "not a response")
        }
        if case .failure(let reason) = response { throw ControlClientError.rejected(reason) }
        return response
    }

    /// Sends `line` and a `\n`, and returns the first line the server answers, without its
    /// `\n`, however malformed either is.
    package func exchange(_ line: ByteBuffer) async throws -> ByteBuffer {
        let channel: NIOAsyncChannel<ControlLine, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(unixDomainSocketPath: path) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(ControlLineDecoder(maximumLength: ControlSocket.responseLengthLimit)))
                        return try NIOAsyncChannel<ControlLine, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch let error as IOError where error.errnoCode == ENOENT || error.errnoCode == ECONNREFUSED {
            throw ControlClientError.notRunning(path: path)
        } catch {
            throw ControlClientError.unreachable(path: path, reason: "\(error)")
        }
        do {
            return try await channel.executeThenClose { inbound, outbound in
                try await Deadline(timeout: timeout, channel: channel.channel).run {
                    var request = line
                    request.writeInteger(UInt8(ascii: "\n"))
                    try await outbound.write(request)
                    var lines = inbound.makeAsyncIterator()
                    switch try await lines.next() {
                    case .line(let answer):
                        return answer
                    case .tooLong:
                        throw ControlClientError.badAnswer(
                            path: path, reason: "longer than \(ControlSocket.responseLengthLimit) octets")
                    case nil:
                        throw ControlClientError.badAnswer(path: path, reason: "the server closed the connection")
                    }
                }
            }
        } catch is PeerTimedOut {
            throw ControlClientError.timedOut(path: path, after: timeout)
        } catch let error as ControlClientError {
            throw error
        } catch {
            throw ControlClientError.badAnswer(path: path, reason: "\(error)")
        }
    }

    private func expectDone(_ request: ControlRequest) async throws {
        guard case .done = try await send(request) else { throw unexpected(request.command) }
    }

    private func unexpected(_ command: ControlRequest.Command) -> ControlClientError {
        .badAnswer(path: path, reason: "not an answer to \(command.rawValue)")
    }
}
