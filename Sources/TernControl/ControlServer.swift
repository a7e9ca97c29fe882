package import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import TernIO

/// The control socket as a `Service`: answers `tern queue` requests from a ``QueueControl``,
/// one request and one response per connection (see ``ControlSocket``), with one task per
/// connection.
///
/// `run()` creates the socket at `path`, mode 0600, replacing a stale socket there (but
/// nothing else); graceful shutdown stops it and removes the socket file. A request line that
/// is too long, is not a request, or names an unknown message gets an error response; none of
/// them stops the server.
package final class ControlServer: Service, Sendable {
    /// How long a client may take to send its request line.
    package static let requestTimeout = Duration.seconds(10)

    private let file: ControlSocketFile
    private let control: any QueueControl
    private let partials: @Sendable () async -> [PartialEntry]
    private let logger: Logger

    /// A server for `control` at `path`, listing checkpoint records from `partials`; nothing
    /// happens until `run()`.
    package init(
        path: String, control: any QueueControl, partials: @escaping @Sendable () async -> [PartialEntry] = { [] },
        logger: Logger
    ) {
        self.file = ControlSocketFile(path: path)
        self.control = control
        self.partials = partials
        self.logger = logger
    }

    package func run() async throws {
        let staging = try file.makeStagingDirectory()
        let listener: NIOAsyncChannel<NIOAsyncChannel<ControlLine, ByteBuffer>, Never>
        let identity: ControlSocketFile.Identity
        do {
            listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .bind(unixDomainSocketPath: ControlSocketFile.stagedPath(in: staging)) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(ControlLineDecoder(maximumLength: ControlSocket.requestLengthLimit)))
                        return try NIOAsyncChannel<ControlLine, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            ControlSocketFile.discard(staging)
            throw error
        }
        do {
            identity = try file.publish(from: staging)
        } catch {
            try? await listener.channel.close()
            throw error
        }
        defer { file.remove(identity) }
        logger.info("control socket listening", metadata: ["path": "\(file.path)"])
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingDiscardingTaskGroup { group in
                    try await listener.executeThenClose { connections in
                        for try await connection in connections {
                            group.addTask { await self.serve(connection) }
                        }
                    }
                }
            }
        } catch is CancellationError {
            // Graceful shutdown (or cancellation) ends the accept loop this way.
        }
        logger.info("control socket closed", metadata: ["path": "\(file.path)"])
    }

    private func serve(_ connection: NIOAsyncChannel<ControlLine, ByteBuffer>) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var lines = inbound.makeAsyncIterator()
                let line = try await Deadline(timeout: Self.requestTimeout, channel: connection.channel).run {
                    try await lines.next()
                }
                guard let line else { return }
                var answer = try ControlSocket.encode(await respond(to: line))
                answer.writeInteger(UInt8(ascii: "\n"))
                try await outbound.write(answer)
            }
        } catch {
            logger.debug("control connection ended with an error", metadata: ["error": "\(error)"])
        }
    }

    private func respond(to line: ControlLine) async -> ControlResponse {
        let request: ControlRequest
        switch line {
        case .tooLong:
            return .failure("request line longer than \(ControlSocket.requestLengthLimit) octets")
        case .line(let text):
            do {
                request = try ControlSocket.decode(ControlRequest.self, from: text)
            } catch {
                return .failure("malformed request: \(Self.explain(error))")
            }
        }
        var logger = logger
        logger[metadataKey: "command"] = "\(request.command.rawValue)"
        if let id = request.id { logger[metadataKey: "queue_id"] = "\(id)" }
        if case .flush(let domain?) = request { logger[metadataKey: "domain"] = "\(domain)" }
        do {
            let response = try await perform(request)
            logger.log(level: request.changesQueue ? .info : .debug, "queue control")
            return response
        } catch QueueControlError.unknownMessage(let id) {
            return .failure("no message \(id) in the queue")
        } catch QueueControlError.busy(let id) {
            return .failure("message \(id) is being delivered by another node: try again")
        } catch {
            logger.error("queue control failed", metadata: ["error": "\(error)"])
            return .failure("\(error)")
        }
    }

    private func perform(_ request: ControlRequest) async throws -> ControlResponse {
        switch request {
        case .list: return .entries(try await control.list())
        case .partial: return .partials(await partials())
        case .show(let id): return .message(try await control.show(id))
        case .flush(let domain): return .scheduled(try await control.flush(domain: domain))
        case .hold(let id): try await control.hold(id)
        case .release(let id): try await control.release(id)
        case .delete(let id): try await control.delete(id)
        case .bounce(let id): try await control.bounce(id)
        }
        return .done
    }

    /// What is wrong with a request line, in a few words.
    private static func explain(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "not JSON" }
        switch error {
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not JSON" : context.debugDescription
        case .keyNotFound(let key, _):
            return "no \"\(key.stringValue)\""
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return context.codingPath.last.map { "\"\($0.stringValue)\" is not a string" } ?? "not a JSON object"
        @unknown default:
            return "not a request"
        }
    }
}

package extension ControlRequest {
    /// The request changes the queue, so the server logs it at `info`.
    fileprivate var changesQueue: Bool {
        switch self {
        case .list, .partial, .show: false
        case .flush, .hold, .release, .delete, .bounce: true
        }
    }
}
