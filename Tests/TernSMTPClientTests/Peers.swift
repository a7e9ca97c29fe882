import Foundation
import NIOCore
import NIOPosix
import TernSMTPCore

/// A peer that follows a script: it says the first reply on connecting, then each further
/// reply once everything it has read ends with that step's expected octets. Whatever it reads
/// is kept for the test to check.
final class ScriptedPeer: Sendable {
    let port: Int
    private let channel: any Channel
    private let received: EventLoopPromise<String>

    /// `script`: the greeting, then pairs of (octets awaited, reply); an empty greeting says nothing.
    init(greeting: String, script: [(awaiting: String, reply: String)] = []) async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let received = group.next().makePromise(of: String.self)
        channel = try await ServerBootstrap(group: group)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(
                        ScriptHandler(greeting: greeting, script: script, received: received))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress!.port!
        self.received = received
    }

    /// Everything the client sent, once it closed the connection.
    func transcript() async throws -> String {
        try await received.futureResult.get()
    }

    func stop() async throws {
        received.fail(ChannelError.ioOnClosedChannel)
        try await channel.close()
    }
}

private final class ScriptHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let greeting: String
    private var script: ArraySlice<(awaiting: String, reply: String)>
    private let received: EventLoopPromise<String>
    private var input = ""

    init(greeting: String, script: [(awaiting: String, reply: String)], received: EventLoopPromise<String>) {
        self.greeting = greeting
        self.script = script[...]
        self.received = received
    }

    func channelActive(context: ChannelHandlerContext) {
        if !greeting.isEmpty { context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: greeting)), promise: nil) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        input += String(buffer: unwrapInboundIn(data))
        while let step = script.first, input.hasSuffix(step.awaiting) {
            script.removeFirst()
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: step.reply)), promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        received.succeed(input)
        context.fireChannelInactive()
    }
}

/// A message of `text` from `sender` to `recipients` (all `user@domain` strings).
func message(_ id: String, from sender: String, to recipients: [String], text: String) throws -> OutboundMessage {
    OutboundMessage(
        id: id, sender: .mailbox(try AddressParser.mailbox(Substring(sender), utf8: false)),
        recipients: try recipients.map {
            OutboundRecipient(path: .mailbox(try AddressParser.mailbox(Substring($0), utf8: false)))
        },
        size: text.utf8.count)
}

/// The text as a stream cut into pieces of at most `pieceSize` octets.
func stream(_ text: String, pieceSize: Int = 7) -> AsyncStream<ByteBuffer> {
    let bytes = Array(text.utf8)
    return AsyncStream { continuation in
        for start in stride(from: 0, to: bytes.count, by: pieceSize) {
            continuation.yield(ByteBuffer(bytes: bytes[start..<min(start + pieceSize, bytes.count)]))
        }
        continuation.finish()
    }
}

/// A peer that sends `greeting` one octet every `interval` and never anything else: always
/// making a little progress, never finishing a reply in time.
final class TricklingPeer: Sendable {
    let port: Int
    private let channel: any Channel

    init(greeting: String, interval: TimeAmount) async throws {
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                let octets = Array(greeting.utf8)
                let sent = NIOLoopBoundBox(0, eventLoop: child.eventLoop)
                child.eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: interval) { task in
                    guard child.isActive, sent.value < octets.count else {
                        task.cancel()
                        return
                    }
                    child.writeAndFlush(ByteBuffer(bytes: [octets[sent.value]]), promise: nil)
                    sent.value += 1
                }
                return child.eventLoop.makeSucceededVoidFuture()
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress!.port!
    }

    func stop() async throws {
        try await channel.close()
    }
}
