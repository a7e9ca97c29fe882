import NIOCore

/// What a connection's task reads: client octets, or an event that ends the wait for them.
enum ConnectionEvent: Sendable {
    case bytes(ByteBuffer)
    case idleTimeout
    case shutdown
}

/// Turns reads, idle timeouts and shutdown requests into one ordered stream of
/// `ConnectionEvent`s, so the connection task handles them all in protocol order.
final class ConnectionEventHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ConnectionEvent

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(wrapInboundOut(.bytes(unwrapInboundIn(data))))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let idle as IdleStateHandler.IdleStateEvent where idle == .read:
            context.fireChannelRead(wrapInboundOut(.idleTimeout))
        case is ShutdownRequested:
            context.fireChannelRead(wrapInboundOut(.shutdown))
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }
}
