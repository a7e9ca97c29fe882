public import Logging
public import NIOCore
public import NIOPosix
public import NIOSSL
import TernIO
public import TernSMTPCore

/// Delivers messages to one SMTP or LMTP peer over one connection (RFC 5321 §3, RFC 2033 for LMTP).
///
/// The protocol is `ClientSession`'s; this is its transport: it connects, feeds the peer's
/// replies through `ReplyParser` into the session and performs the session's actions in order
/// on a `NIOAsyncChannel`, in the calling task.
public enum SMTPClient {
    /// Delivers `messages`, one after another, to the peer at `peer`, then QUITs.
    ///
    /// Every message gets exactly one `MessageResult`, in the order the session decides them,
    /// also when the connection can't be made or breaks (its undecided recipients are then
    /// deferred with a local 421 reply). Never throws: failures are outcomes.
    ///
    /// - Parameters:
    ///   - messages: The messages, each with at least one recipient.
    ///   - peer: Where the peer listens.
    ///   - configuration: The session's side of the connection; `tlsAvailable` needs `tls`.
    ///   - tls: The client TLS context for STARTTLS (its verification settings apply), or nil.
    ///   - tlsServerName: The name for SNI and certificate checks, or nil to send none.
    ///   - timeout: The longest wait for the connection, for each reply and for room to write.
    ///   - group: The event loops to connect on.
    ///   - logger: Where connection events go.
    ///   - body: The stored text of the message with this `OutboundMessage.id`: CRLF line
    ///     endings, not dot-stuffed, exactly `OutboundMessage.size` octets. Called when the
    ///     peer is ready for it; an error (or a BDAT text of another size) drops the connection
    ///     before the text ends, so the peer never takes a partial message.
    public static func deliver<Body: AsyncSequence>(
        _ messages: [OutboundMessage],
        to peer: PeerAddress,
        configuration: ClientSessionConfiguration,
        tls: NIOSSLContext? = nil,
        tlsServerName: String? = nil,
        timeout: Duration,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "tern.smtp.client"),
        body: (String) async throws -> Body
    ) async -> [MessageResult] where Body.Element == ByteBuffer {
        precondition(!configuration.tlsAvailable || tls != nil, "tlsAvailable needs a TLS context")
        var session = ClientSession(configuration: configuration)
        let queued = messages.flatMap { session.send($0) } + session.quit()
        assert(queued.isEmpty, "before the greeting the session only queues")

        let channel: NIOAsyncChannel<PeerInput, ByteBuffer>
        do {
            channel = try await connect(to: peer, timeout: timeout, group: group)
        } catch {
            logger.info("connection failed", metadata: ["peer": "\(peer)", "error": "\(error)"])
            return session.failed(.connectFailed).compactMap {
                if case .messageResult(let result) = $0 { return result }
                return nil
            }
        }
        logger.debug("connected", metadata: ["peer": "\(peer)"])

        var connection = ClientConnection(
            session: session, channel: channel.channel, deadline: Deadline(timeout: timeout, channel: channel.channel),
            tls: tls, tlsServerName: tlsServerName,
            sizes: Dictionary(messages.map { ($0.id, $0.size) }, uniquingKeysWith: { first, _ in first }), logger: logger)
        do {
            try await withTaskExecutorPreference(EventLoopTaskExecutor(channel.channel.eventLoop)) {
                try await channel.executeThenClose { inbound, outbound in
                    var iterator = inbound.makeAsyncIterator()
                    await connection.run(inbound: &iterator, outbound: outbound, body: body)
                }
            }
        } catch {
            logger.debug("close failed", metadata: ["error": "\(error)"])
        }
        return connection.results
    }

    /// A connection to `peer` whose reads come as `PeerInput`.
    static func connect(
        to peer: PeerAddress, timeout: Duration, group: any EventLoopGroup
    ) async throws -> NIOAsyncChannel<PeerInput, ByteBuffer> {
        let bootstrap = ClientBootstrap(group: group).connectTimeout(TimeAmount(timeout))
        let initializer: @Sendable (any Channel) -> EventLoopFuture<NIOAsyncChannel<PeerInput, ByteBuffer>> = {
            channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(PeerInputHandler())
                return try NIOAsyncChannel<PeerInput, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        switch peer {
        case .tcp(let host, let port):
            return try await bootstrap.connect(host: host, port: port, channelInitializer: initializer)
        case .unixSocket(let path):
            return try await bootstrap.connect(unixDomainSocketPath: path, channelInitializer: initializer)
        }
    }

    /// Delivers `messages` as the client on a connection the peer opened: one that ATRN turned
    /// around (RFC 2645 §4). Waits for the peer's greeting, then works as the other `deliver`:
    /// no STARTTLS or AUTH unless `configuration` asks, QUIT at the end; the channel is left
    /// for the caller to close.
    ///
    /// - Parameters:
    ///   - messages: The messages, each with at least one recipient.
    ///   - early: octets the peer sent before the turn: the start of its replies.
    ///   - input: the peer's octets from now on.
    ///   - output: writes to the peer.
    ///   - channel: the connection, closed when a wait runs out.
    ///   - configuration: The session's side of the connection; `tlsAvailable` must be false.
    ///   - timeout: The longest wait for each reply and for room to write.
    ///   - logger: Where connection events go.
    ///   - body: The stored text of the message with this `OutboundMessage.id`, as for the
    ///     other `deliver`.
    ///   - decided: told of each message as soon as its outcome is known, before the next one
    ///     is sent, so it can be recorded durably at once.
    public static func deliver<Input: AsyncIteratorProtocol, Body: AsyncSequence>(
        _ messages: [OutboundMessage],
        early: ByteBuffer,
        input: inout Input,
        output: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        channel: any Channel,
        configuration: ClientSessionConfiguration,
        timeout: Duration,
        logger: Logger = Logger(label: "tern.smtp.client"),
        body: (String) async throws -> Body,
        decided: @escaping (MessageResult) async -> Void
    ) async -> [MessageResult] where Input.Element == ByteBuffer, Body.Element == ByteBuffer {
        precondition(!configuration.tlsAvailable, "a turned connection keeps the TLS it has")
        var session = ClientSession(configuration: configuration)
        let queued = messages.flatMap { session.send($0) } + session.quit()
        assert(queued.isEmpty, "before the greeting the session only queues")
        var connection = ClientConnection(
            session: session, channel: channel, deadline: Deadline(timeout: timeout, channel: channel),
            tls: nil, tlsServerName: nil,
            sizes: Dictionary(messages.map { ($0.id, $0.size) }, uniquingKeysWith: { first, _ in first }),
            logger: logger, decided: decided)
        var peer = PeerBytes(base: input)
        await connection.run(inbound: &peer, early: early, outbound: output, body: body)
        input = peer.base
        return connection.results
    }
}
