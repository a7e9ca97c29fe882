import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import NIOTLS

/// What a connection's task reads: client octets, or an event that ends the wait for them.
enum ConnectionEvent: Sendable {
    case bytes(ByteBuffer)
    case idleTimeout
    case shutdown
    /// The TLS handler is in place: every later octet was decrypted.
    case tlsStarted
    /// The TLS handshake finished with this protocol version.
    case tlsEstablished(String)
}

/// Turns reads, idle timeouts and shutdown requests into one ordered stream of
/// `ConnectionEvent`s, so the connection task handles them all in protocol order.
final class ConnectionEventHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ConnectionEvent

    /// A TLS handshake has begun and not finished: an error or the end of the connection now
    /// is a failed handshake.
    private let handshaking: NIOLockedValueBox<Bool>

    /// A handler; `handshaking` when TLS starts with the connection (`smtps`).
    init(handshaking: Bool = false) {
        self.handshaking = NIOLockedValueBox(handshaking)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(wrapInboundOut(.bytes(unwrapInboundIn(data))))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let idle as IdleStateHandler.IdleStateEvent where idle == .read:
            deliver(.idleTimeout, context: context)
        case is ShutdownRequested:
            deliver(.shutdown, context: context)
        case TLSUserEvent.handshakeCompleted:
            handshaking.withLockedValue { $0 = false }
            let version = (try? context.pipeline.syncOperations.nioSSL_tlsVersion()).flatMap { $0 }
            deliver(.tlsEstablished(version.map(Self.name) ?? "TLS"), context: context)
            context.fireUserInboundEventTriggered(event)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        handshakeFailed()
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshakeFailed()
        context.fireChannelInactive()
    }

    /// Counts a handshake under way as failed.
    private func handshakeFailed() {
        let failed = handshaking.withLockedValue { pending in
            defer { pending = false }
            return pending
        }
        if failed { ServerMetrics.handshake(succeeded: false) }
    }

    /// Writes the STARTTLS reply in plaintext, then puts TLS in front of everything: octets
    /// read after this point go through TLS; those before are dropped by the connection task,
    /// which skips input until `.tlsStarted` (CVE-2011-0411).
    static func startTLS(on channel: any Channel, reply: ByteBuffer, context sslContext: NIOSSLContext) async throws {
        try await channel.eventLoop.submit {
            let operations = channel.pipeline.syncOperations
            let handler = try operations.handler(type: ConnectionEventHandler.self)
            let context = try operations.context(handlerType: ConnectionEventHandler.self)
            context.writeAndFlush(NIOAny(reply), promise: nil)
            try operations.addHandler(NIOSSLServerHandler(context: sslContext), position: .first)
            handler.handshaking.withLockedValue { $0 = true }
            handler.deliver(.tlsStarted, context: context)
        }.get()
    }

    private static func name(_ version: TLSVersion) -> String {
        switch version {
        case .tlsv1: "TLSv1"
        case .tlsv11: "TLSv1.1"
        case .tlsv12: "TLSv1.2"
        case .tlsv13: "TLSv1.3"
        }
    }

    /// The async channel hands reads to its consumer at read-complete, so a synthetic read
    /// needs one of its own.
    private func deliver(_ event: ConnectionEvent, context: ChannelHandlerContext) {
        context.fireChannelRead(wrapInboundOut(event))
        context.fireChannelReadComplete()
    }
}
