import NIOCore

/// What the client's task reads from the channel: the peer's octets, and where TLS starts.
enum PeerInput: Sendable {
    /// Octets from the peer (decrypted once TLS is in the pipeline).
    case bytes(ByteBuffer)
    /// The TLS handler was just inserted: octets before this are plaintext read before the switch.
    case tlsInserted
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
