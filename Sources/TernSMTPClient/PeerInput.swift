import NIOCore

/// What the client's task reads from the channel: the peer's octets, where TLS starts, and the
/// events of a connection kept open between batches, in the order they happened.
enum PeerInput: Sendable {
    /// Octets from the peer (decrypted once TLS is in the pipeline).
    case bytes(ByteBuffer)
    /// The TLS handler was just inserted: octets before this are plaintext read before the switch.
    case tlsInserted
    /// Messages were handed to a kept connection (`SMTPClientConnection.deliver`).
    case handedOver
    /// A kept connection's idle time, armed as number `generation`, ran out; or, with nil, its
    /// owner asked it to close once idle.
    case idleTimeUp(generation: Int?)
}

/// Turns the peer's octets into `PeerInput` for the `NIOAsyncChannel`, so a TLS marker can be
/// placed among them in order.
final class PeerInputHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = PeerInput

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(wrapInboundOut(.bytes(unwrapInboundIn(data))))
    }
}

/// The peer's octets as `PeerInput`, for a connection without a TLS marker (one ATRN turned).
struct PeerBytes<Base: AsyncIteratorProtocol>: AsyncIteratorProtocol where Base.Element == ByteBuffer {
    var base: Base

    mutating func next() async throws -> PeerInput? {
        try await base.next().map(PeerInput.bytes)
    }
}

extension Channel {
    /// Puts `input` among the peer's octets, after those read so far, from any thread.
    func firePeerInput(_ input: PeerInput) {
        eventLoop.execute { [self] in
            guard let context = try? pipeline.syncOperations.context(handlerType: PeerInputHandler.self) else { return }
            context.fireChannelRead(NIOAny(input))
            context.fireChannelReadComplete()
        }
    }
}
