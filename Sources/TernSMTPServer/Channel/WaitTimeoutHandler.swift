import NIOCore

/// Bounds every wait of a session (docs/behaviour.md §0.2): no input for the idle timeout fires an idle
/// event (the session answers 421 4.4.2), and a reply that can't be written for as long (the
/// client stopped reading) closes the connection without one.
///
/// While the server is under stress (80 % of its connections in use, `ConnectionTracker`) each
/// wait uses the shorter stress timeout; a `StressChanged` event re-arms the pending wait.
final class WaitTimeoutHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let normal: TimeAmount
    private let stress: TimeAmount
    private let isStressed: @Sendable () -> Bool
    private var lastRead = NIODeadline.now()
    private var readTimer: Scheduled<Void>?
    private var writeTimer: Scheduled<Void>?

    init(normal: TimeAmount, stress: TimeAmount, isStressed: @escaping @Sendable () -> Bool) {
        self.normal = normal
        self.stress = stress
        self.isStressed = isStressed
    }

    private var timeout: TimeAmount { isStressed() ? min(stress, normal) : normal }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { armRead(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        armRead(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastRead = .now()
        armRead(context)
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is StressChanged {
            armRead(context)
            if writeTimer != nil { armWrite(context) }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            writeTimer?.cancel()
            writeTimer = nil
        } else if writeTimer == nil {
            armWrite(context)
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimers()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimers()
    }

    private func armRead(_ context: ChannelHandlerContext) {
        readTimer?.cancel()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        readTimer = context.eventLoop.scheduleTask(deadline: lastRead + timeout) {
            loopBound.value.fireUserInboundEventTriggered(IdleStateHandler.IdleStateEvent.read)
        }
    }

    /// The client stopped reading: the connection goes unless it takes replies again in time.
    private func armWrite(_ context: ChannelHandlerContext) {
        writeTimer?.cancel()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        writeTimer = context.eventLoop.scheduleTask(in: timeout) {
            loopBound.value.close(promise: nil)
        }
    }

    private func cancelTimers() {
        readTimer?.cancel()
        writeTimer?.cancel()
        readTimer = nil
        writeTimer = nil
    }
}

/// Fired through every connection's pipeline when the server enters or leaves stress.
struct StressChanged: Sendable {}
