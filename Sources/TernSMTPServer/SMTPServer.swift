public import Logging
public import NIOCore
public import NIOPosix
import NIOSSL
import TernSASL
public import ServiceLifecycle
import TernIO
public import TernSMTPCore

/// An SMTP listener as a `Service`: accepts connections on one address and runs a
/// `ServerSession` for each, with one task per connection and no thread per connection.
///
/// Graceful shutdown stops accepting, asks every session to end with `421 4.3.2` after the
/// command in progress (a message being committed gets its reply first), and returns when all
/// sessions have ended.
public final class SMTPServer: Service, Sendable {
    private let configuration: SMTPServerConfiguration
    private let delegate: any SMTPServerDelegate
    private let tracker: ConnectionTracker
    private let group: any EventLoopGroup
    private let logger: Logger
    private let serverChannel: NIOAsyncChannel<NIOAsyncChannel<ConnectionEvent, ByteBuffer>, Never>
    private let secret: SASLServerSecret

    /// Binds the listening socket now, so that a taken port fails before anything runs.
    ///
    /// - Parameters:
    ///   - configuration: where to listen, what sessions offer, the limits.
    ///   - delegate: decides about each connection.
    ///   - tracker: counts connections; share one among listeners for server-wide limits.
    ///   - group: the event loops to run on.
    ///   - logger: connection events.
    public init(
        configuration: SMTPServerConfiguration, delegate: any SMTPServerDelegate,
        tracker: ConnectionTracker = ConnectionTracker(), group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "tern.smtp.server")
    ) async throws {
        self.configuration = configuration
        self.delegate = delegate
        self.tracker = tracker
        self.group = group
        self.logger = logger
        secret = .forThisProcess
        let implicitTLS = configuration.session.role == .smtps ? configuration.tls : nil
        let idleTimeout = TimeAmount(configuration.idleTimeout)
        let stressIdleTimeout = TimeAmount(configuration.stressIdleTimeout)
        serverChannel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // A TCP-level option: at SOL_SOCKET its number is SO_DEBUG, which needs CAP_NET_ADMIN,
            // so a server run as an ordinary user would stop at its first connection.
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let implicitTLS {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: implicitTLS.context))
                    }
                    try channel.pipeline.syncOperations.addHandler(WaitTimeoutHandler(
                        normal: idleTimeout, stress: stressIdleTimeout, isStressed: { tracker.isStressed }))
                    try channel.pipeline.syncOperations.addHandler(ConnectionEventHandler(handshaking: implicitTLS != nil))
                    return try NIOAsyncChannel<ConnectionEvent, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// Binds the listening socket now; `session` gives each connection its handler (go-smtp's
    /// `Backend.NewSession`), and HELP STATUS shows the server's own figures.
    ///
    ///     let server = try await SMTPServer(configuration: configuration) { _ in Printer() }
    public convenience init(
        configuration: SMTPServerConfiguration, tracker: ConnectionTracker = ConnectionTracker(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "tern.smtp.server"),
        session: @escaping @Sendable (ConnectionInfo) async throws(Reply) -> any SMTPSessionHandler
    ) async throws {
        try await self.init(configuration: configuration, delegate: SessionFactory(session), tracker: tracker,
                            group: group, logger: logger)
    }

    /// The port actually bound (useful with port 0).
    public var localPort: Int? { serverChannel.channel.localAddress?.port }

    /// True while the listening socket is open (for health checks).
    public var isListening: Bool { serverChannel.channel.isActive }

    /// The address and role, as in `127.0.0.1:25 (mx)`.
    public var listenerDescription: String {
        "\(configuration.host):\(localPort ?? configuration.port) (\(configuration.session.role.rawValue))"
    }

    public func run() async throws {
        let listening = serverChannel.channel
        logger.info("listening", metadata: [
            "address": "\(configuration.host):\(localPort ?? configuration.port)",
            "role": "\(configuration.session.role.rawValue)",
        ])
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await serverChannel.executeThenClose { connections in
                    for try await connection in connections {
                        let executor = EventLoopTaskExecutor(connection.channel.eventLoop)
                        group.addTask(executorPreference: executor) { await self.serve(connection) }
                    }
                }
            }
        } onGracefulShutdown: { [tracker] in
            listening.close(promise: nil)
            tracker.shutDownAll()
        }
    }

    private func serve(_ channel: NIOAsyncChannel<ConnectionEvent, ByteBuffer>) async {
        let peer = channel.channel.remoteAddress?.ipAddress.flatMap { IPAddress($0) }
        let address = peer?.description ?? ""
        let host = configuration.session.hostname
        let role = configuration.session.role
        ServerMetrics.opened(role)
        defer { ServerMetrics.closed(role) }
        switch tracker.admit(channel.channel, address: address) {
        case .serverFull:
            logger.warning("connection refused: server connection limit", metadata: ["client": "\(address)"])
            await refuse(channel, with: .tooManyConnections(host))
        case .clientFull:
            logger.warning("connection refused: per-client connection limit", metadata: ["client": "\(address)"])
            await refuse(channel, with: .tooManyConnectionsFromClient(host))
        case .admitted(let id):
            defer { tracker.release(id) }
            var logger = logger
            logger[metadataKey: "session"] = "\(id)"
            logger.info("connect", metadata: ["client": "\(address)"])
            let connection = SMTPConnection(
                channel: channel,
                info: ConnectionInfo(
                    id: id, remoteAddress: peer, role: configuration.session.role,
                    control: ConnectionControl { [child = channel.channel] in child.close(promise: nil) }),
                configuration: configuration, delegate: delegate, tracker: tracker, secret: secret, logger: logger)
            do {
                try await connection.run()
            } catch {
                logger.debug("connection ended with an error", metadata: ["error": "\(error)"])
            }
            logger.info("disconnect")
        }
    }

    private func refuse(_ channel: NIOAsyncChannel<ConnectionEvent, ByteBuffer>, with reply: Reply) async {
        var buffer = ByteBuffer()
        reply.write(into: &buffer)
        ServerMetrics.sent(reply, answering: nil)
        try? await channel.executeThenClose { _, outbound in
            try await outbound.write(buffer)
        }
    }
}
