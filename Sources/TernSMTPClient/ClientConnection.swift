import Logging
import NIOCore
import NIOSSL
import TernIO
import TernSMTPCore

/// The message text could not be sent as the session announced it.
enum BodyError: Error {
    /// BDAT announced `expected` octets; the body provider gave a different count.
    case sizeMismatch(expected: Int, found: Int)
}

/// One connection's I/O: the session, its reply parser, and the execution of session actions.
struct ClientConnection {
    private var session: ClientSession
    private let channel: any Channel
    private let deadline: Deadline
    private let tls: NIOSSLContext?
    private let tlsServerName: String?
    /// Each message's `OutboundMessage.size` by id: the octet count a BDAT announced.
    private var sizes: [String: Int]
    private let logger: Logger
    private var parser = ReplyParser()
    /// The messages decided so far.
    private(set) var results: [MessageResult] = []
    /// `.startTLS` performed and its marker not read yet: octets read are plaintext to drop.
    private var awaitingTLSMarker = false
    /// TLS inserted and no reply read since: a read error is the handshake failing.
    private var handshakePending = false
    /// The session said `.close`, or gave up.
    private var closed = false
    /// When the wait for the next reply began: the deadline runs from here however the reply
    /// trickles in, so a peer sending a byte now and then cannot hold the connection.
    private var replyWaitStarted = ContinuousClock.now
    /// Told of each message as soon as it is decided, before the next one is sent.
    private let decided: (MessageResult) async -> Void
    /// For a connection kept open between batches: where more messages come from.
    private let reuse: ConnectionReuse?
    /// The number of the idle timer armed last, so a timer that fires after more messages came
    /// is told apart; nil while no timer is armed.
    private var idleGeneration: Int?
    private var timersArmed = 0

    init(session: ClientSession, channel: any Channel, deadline: Deadline, tls: NIOSSLContext?,
         tlsServerName: String?, sizes: [String: Int], logger: Logger, reuse: ConnectionReuse? = nil,
         decided: @escaping (MessageResult) async -> Void = { _ in }) {
        self.session = session
        self.channel = channel
        self.deadline = deadline
        self.tls = tls
        self.tlsServerName = tlsServerName
        self.sizes = sizes
        self.logger = logger
        self.reuse = reuse
        self.decided = decided
    }

    /// The longest wait for the reply to QUIT.
    static let quitReplyWait: Duration = .seconds(10)

    /// Reads replies and performs the session's actions until it closes or the connection ends.
    /// `early`: peer octets read before this connection took over (after ATRN).
    mutating func run<Input: AsyncIteratorProtocol, Body: AsyncSequence>(
        inbound iterator: inout Input,
        early: ByteBuffer? = nil,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        body: (String) async throws -> Body
    ) async where Input.Element == PeerInput, Body.Element == ByteBuffer {
        if let early, early.readableBytes > 0 {
            parser.append(early)
            await performReplies(outbound, body)
        }
        while !closed {
            let input: PeerInput?
            // Every message is decided once QUIT is out: its reply gets a short wait only
            // (docs/behaviour.md §15 step 4). The time already spent on this reply counts.
            let limit = session.isOpen ? deadline.timeout : min(deadline.timeout, Self.quitReplyWait)
            let wait = Deadline(
                timeout: max(.zero, limit - (ContinuousClock.now - replyWaitStarted)), channel: channel)
            do {
                input = try await wait.run { try await iterator.next() }
            } catch {
                await perform(session.failed(failure(reading: error)), outbound, body)
                return
            }
            switch input {
            case nil:
                logger.debug("peer closed the connection")
                await perform(session.failed(lostConnection()), outbound, body)
                return
            case .bytes(let bytes):
                guard !awaitingTLSMarker else { continue }
                parser.append(bytes)
                await performReplies(outbound, body)
            case .tlsInserted:
                awaitingTLSMarker = false
                handshakePending = true
                await perform(session.tlsStarted(), outbound, body)
            case .handedOver:
                await takeHandedOver(outbound, body)
            case .idleTimeUp(let generation):
                guard let reuse, session.isAwaitingMessages, generation == nil || generation == idleGeneration,
                    reuse.retireIfIdle()
                else { continue }
                logger.debug("closing an idle connection")
                await perform(session.quit(), outbound, body)
            }
            armIdleTimer()
        }
    }

    /// Sends the messages handed over to a kept connection.
    private mutating func takeHandedOver<Body: AsyncSequence>(
        _ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, _ body: (String) async throws -> Body
    ) async where Body.Element == ByteBuffer {
        guard let reuse else { return }
        idleGeneration = nil
        for message in reuse.takeHandedOver() {
            sizes[message.id] = message.size
            await perform(session.send(message), outbound, body)
        }
    }

    /// A kept connection with nothing to do starts its idle timer, once per idle spell.
    private mutating func armIdleTimer() {
        guard let reuse, idleGeneration == nil, session.isAwaitingMessages else { return }
        timersArmed += 1
        let generation = timersArmed
        idleGeneration = generation
        channel.eventLoop.scheduleTask(in: TimeAmount(reuse.idleTimeout)) { [channel] in
            channel.firePeerInput(.idleTimeUp(generation: generation))
        }
    }

    /// Hands every complete reply to the session, until TLS starts or the session closes.
    private mutating func performReplies<Body: AsyncSequence>(
        _ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, _ body: (String) async throws -> Body
    ) async where Body.Element == ByteBuffer {
        while !closed && !awaitingTLSMarker {
            let reply: Reply?
            do {
                reply = try parser.next()
            } catch {
                logger.info("malformed reply", metadata: ["error": "\(error)"])
                await perform(session.failed(.malformedReply), outbound, body)
                return
            }
            guard let reply else { return }
            replyWaitStarted = .now
            if handshakePending { ClientMetrics.handshake(succeeded: true) }
            handshakePending = false
            logger.trace("reply", metadata: ["reply": "\(reply)"])
            await perform(session.received(reply), outbound, body)
        }
    }

    /// The failure a read error means.
    private func failure(reading error: any Error) -> ConnectionFailure {
        if error is PeerTimedOut {
            logger.info("peer timed out")
            if handshakePending { ClientMetrics.handshake(succeeded: false) }
            return .timedOut
        }
        logger.info("read failed", metadata: ["error": "\(error)"])
        return lostConnection()
    }

    /// The failure a connection that ended means: the handshake failed when it had not finished.
    private func lostConnection() -> ConnectionFailure {
        guard handshakePending else { return .connectionLost }
        ClientMetrics.handshake(succeeded: false)
        return .tlsHandshakeFailed
    }

    /// Performs actions in order; a failure while performing one continues with the actions the
    /// session gives for it.
    private mutating func perform<Body: AsyncSequence>(
        _ actions: [ClientAction], _ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        _ body: (String) async throws -> Body
    ) async where Body.Element == ByteBuffer {
        var queue = actions[...]
        while let action = queue.popFirst() {
            var next: [ClientAction] = []
            switch action {
            case .send(let bytes):
                do {
                    try await deadline.run { try await outbound.write(bytes) }
                } catch {
                    next = session.failed(failure(writing: error))
                }
            case .startTLS:
                parser = ReplyParser()
                awaitingTLSMarker = true
                do {
                    try await insertTLS()
                } catch {
                    logger.info("TLS could not start", metadata: ["error": "\(error)"])
                    awaitingTLSMarker = false
                    next = session.failed(.tlsHandshakeFailed)
                }
            case .sendBody(let messageID, let useBDAT, let resumeAt):
                do {
                    let text = try await body(messageID)
                    if useBDAT {
                        guard let size = sizes[messageID] else { preconditionFailure("BDAT for a message not handed over") }
                        precondition(resumeAt == 0, "BDAT is never resumed")
                        try await sendChunk(text, size: size, outbound)
                    } else {
                        try await sendData(text, from: resumeAt, outbound)
                    }
                } catch {
                    logger.error("message text not sent", metadata: ["message": "\(messageID)", "error": "\(error)"])
                    // The text is cut short: drop the connection so the peer never takes it.
                    channel.close(promise: nil)
                    next = session.failed(failure(writing: error))
                }
            case .messageResult(let result):
                logger.debug("message done", metadata: [
                    "message": "\(result.messageID)",
                    "outcomes": "\(result.recipients.map { "\($0.recipient.path) \($0.outcome.reply.code)" })",
                ])
                results.append(result)
                sizes[result.messageID] = nil
                await decided(result)
            case .close:
                closed = true
            }
            queue = next[...] + queue
        }
        // A reply is awaited from the last octet sent, however long sending the text took
        // (each write has a deadline of its own).
        replyWaitStarted = .now
    }

    /// The failure a write (or body) error means.
    private func failure(writing error: any Error) -> ConnectionFailure {
        error is PeerTimedOut ? .timedOut : .connectionLost
    }

    /// Streams the text through a `DotStuffer` and ends it with the terminator; the first
    /// `skip` octets of the stuffed stream are left out (the peer has them, RFC 1845).
    private func sendData<Body: AsyncSequence>(
        _ text: Body, from skip: Int, _ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) async throws where Body.Element == ByteBuffer {
        var stuffer = DotStuffer()
        var toSkip = skip
        var gathered = OutboundGather(outbound: outbound, deadline: deadline)
        for try await chunk in text {
            var stuffed = stuffer.stuff(chunk)
            if toSkip > 0 {
                let dropped = min(toSkip, stuffed.readableBytes)
                stuffed.moveReaderIndex(forwardBy: dropped)
                toSkip -= dropped
                if stuffed.readableBytes == 0 { continue }
            }
            try await gathered.add(stuffed)
        }
        try await gathered.add(stuffer.finish())
        try await gathered.flush()
    }

    /// Streams exactly `size` octets of the text as stored, after `BDAT <size> LAST`.
    private func sendChunk<Body: AsyncSequence>(
        _ text: Body, size: Int, _ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) async throws where Body.Element == ByteBuffer {
        var written = 0
        var gathered = OutboundGather(outbound: outbound, deadline: deadline)
        for try await chunk in text {
            written += chunk.readableBytes
            guard written <= size else { throw BodyError.sizeMismatch(expected: size, found: written) }
            try await gathered.add(chunk)
        }
        guard written == size else { throw BodyError.sizeMismatch(expected: size, found: written) }
        try await gathered.flush()
    }

    /// Puts a TLS client handler at the front of the pipeline and marks, among the octets read,
    /// where decrypted input starts. The handshake runs in the background; the EHLO that
    /// follows waits in the handler until it is done.
    private func insertTLS() async throws {
        guard let tls else { preconditionFailure("STARTTLS without a TLS context") }
        try await channel.eventLoop.submit { [channel, tlsServerName] in
            let operations = channel.pipeline.syncOperations
            try operations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: tlsServerName), position: .first)
            let marker = try operations.context(handlerType: PeerInputHandler.self)
            marker.fireChannelRead(NIOAny(PeerInput.tlsInserted))
            marker.fireChannelReadComplete()
        }.get()
    }
}

/// Buffers written for the peer, handed to the channel together once 64 KiB have gathered or
/// the text ends: one write (a `writev`) and one wait for a message's trace field, text and
/// terminator instead of one for each.
private struct OutboundGather {
    private static let limit = 64 * 1024
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let deadline: Deadline
    private var buffers: [ByteBuffer] = []
    private var octets = 0

    init(outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, deadline: Deadline) {
        self.outbound = outbound
        self.deadline = deadline
    }

    mutating func add(_ buffer: ByteBuffer) async throws {
        buffers.append(buffer)
        octets += buffer.readableBytes
        if octets >= Self.limit { try await flush() }
    }

    mutating func flush() async throws {
        guard !buffers.isEmpty else { return }
        let batch = buffers
        (buffers, octets) = ([], 0)
        try await deadline.run { try await outbound.write(contentsOf: batch) }
    }
}
