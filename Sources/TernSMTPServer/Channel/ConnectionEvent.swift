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
            deliver(.idleTimeout, context: context)
        case is ShutdownRequested:
            deliver(.shutdown, context: context)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// The async channel hands reads to its consumer at read-complete, so a synthetic read
    /// needs one of its own.
    private func deliver(_ event: ConnectionEvent, context: ChannelHandlerContext) {
        context.fireChannelRead(wrapInboundOut(event))
        context.fireChannelReadComplete()
    }
}
