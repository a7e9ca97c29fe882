public import Logging
public import NIOCore
import NIOHTTP1
public import NIOPosix
public import ServiceLifecycle

/// The HTTP listener of `[metrics]` as a `Service` (docs/operations.md "Metrics and health"):
/// `GET /metrics` answers with the Prometheus text exposition, `GET /health` with 200 `ok` or
/// 503 and the problems, one per line. Every other path gets 404, every other method 405.
/// Connections are served one request at a time, kept alive as HTTP/1.1 allows, and closed
/// after `idleTimeout` without a request.
public final class MetricsServer: Service, Sendable {
    /// What `/metrics` and `/health` answer with, asked at each request.
    public struct Sources: Sendable {
        /// The exposition text, in the Prometheus text format 0.0.4.
        public var exposition: @Sendable () async -> [UInt8]
        /// What is wrong now, one line each; empty when healthy.
        public var problems: @Sendable () async -> [String]

        /// Sources asking `exposition` and `problems`.
        public init(exposition: @escaping @Sendable () async -> [UInt8], problems: @escaping @Sendable () async -> [String]) {
            self.exposition = exposition
            self.problems = problems
        }
    }

    private typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    private let serverChannel: NIOAsyncChannel<Connection, Never>
    private let sources: Sources
    private let logger: Logger

    /// How long a connection may stay without a request (Prometheus scrapes every 15 s by
    /// default and keeps its connection between scrapes).
    public static let defaultIdleTimeout = Duration.seconds(60)

    /// Binds `host`:`port` now, so that a taken port fails before anything runs.
    public init(host: String, port: Int, sources: Sources, idleTimeout: Duration = defaultIdleTimeout,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger) async throws {
        let idle = TimeAmount(idleTimeout)
        self.sources = sources
        self.logger = logger
        serverChannel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 16)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: idle))
                    try channel.pipeline.syncOperations.addHandler(IdleCloser())
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// The port actually bound (useful with port 0).
    public var localPort: Int? { serverChannel.channel.localAddress?.port }

    public func run() async throws {
        let listening = serverChannel.channel
        logger.info("metrics listening", metadata: ["address": "\(listening.localAddress.map { "\($0)" } ?? "")"])
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await serverChannel.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { await self.serve(connection) }
                    }
                }
            }
        } onGracefulShutdown: {
            listening.close(promise: nil)
        }
    }

    private func serve(_ connection: Connection) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var request: HTTPRequestHead?
                for try await part in inbound {
                    switch part {
                    case .head(let head):
                        request = head
                    case .body:
                        break
                    case .end:
                        guard let head = request else { continue }
                        request = nil
                        let (status, type, body) = await respond(to: head)
                        var headers = HTTPHeaders([("Content-Type", type), ("Content-Length", "\(body.count)")])
                        if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
                        try await outbound.write(.head(HTTPResponseHead(version: head.version, status: status, headers: headers)))
                        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body))))
                        try await outbound.write(.end(nil))
                        if !head.isKeepAlive { return }
                    }
                }
            }
        } catch {
            logger.debug("metrics connection ended with an error", metadata: ["error": "\(error)"])
        }
    }

    private func respond(to head: HTTPRequestHead) async -> (HTTPResponseStatus, String, [UInt8]) {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let plain = "text/plain; charset=utf-8"
        guard path == "/metrics" || path == "/health" else { return (.notFound, plain, Array("not found\n".utf8)) }
        guard head.method == .GET else {
            return (.methodNotAllowed, plain, Array("method not allowed\n".utf8))
        }
        if path == "/metrics" {
            return (.ok, "text/plain; version=0.0.4; charset=utf-8", await sources.exposition())
        }
        let problems = await sources.problems()
        guard problems.isEmpty else {
            return (.serviceUnavailable, plain, Array(problems.map { $0 + "\n" }.joined().utf8))
        }
        return (.ok, plain, Array("ok\n".utf8))
    }
}

/// Closes a connection on which nothing was read for the idle timeout.
private final class IdleCloser: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
