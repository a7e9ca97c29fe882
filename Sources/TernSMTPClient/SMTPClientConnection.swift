public import Logging
public import NIOCore
public import NIOPosix
public import NIOSSL
import Synchronization
import TernIO
public import TernSMTPCore

/// An SMTP or LMTP connection kept open between batches of messages: one connect, greeting,
/// EHLO (and STARTTLS, AUTH) for all of them, as Postfix's connection cache does (RFC 5321
/// §4.1.4 lets a client send one transaction after another over a session).
///
/// It connects as soon as it is made and works in a task of its own; ``deliver(_:body:)`` hands
/// it a batch and waits for that batch's results. Once every message handed over is decided, the
/// connection waits `idleTimeout` for more, then QUITs. A peer that says 421 or closes while it
/// waits ends it at once; so does ``close()``. A batch handed to a connection that has ended (or
/// ends before it takes the batch) gets every recipient deferred with `Reply.sessionClosed` (or
/// `Reply.connectFailed` when no connection could be made), and nothing of it was sent: the
/// caller may try a new connection at once.
///
/// A caller that stops does not wait for the peer: cancelling the task in ``deliver(_:body:)``
/// ends the connection at once (``abort()``).
///
/// `SMTPClient.deliver(_:to:configuration:tls:tlsServerName:timeout:group:logger:body:)` is the
/// same client for one batch over one connection.
public final class SMTPClientConnection<Body: AsyncSequence & Sendable>: Sendable where Body.Element == ByteBuffer {
    /// The stored text of the message with this `OutboundMessage.id`, as for `SMTPClient.deliver`.
    public typealias BodyProvider = @Sendable (String) async throws -> Body

    /// When the connection was made: a caller keeps a connection no longer than it likes.
    public let openedAt: ContinuousClock.Instant
    private let state = Mutex(State())

    /// Starts connecting to `peer`.
    ///
    /// - Parameters:
    ///   - peer: Where the peer listens.
    ///   - configuration: The session's side of the connection; `tlsAvailable` needs `tls`.
    ///   - tls: The client TLS context for STARTTLS, or nil.
    ///   - tlsServerName: The name for SNI and certificate checks, or nil to send none.
    ///   - timeout: The longest wait for the connection, for each reply and for room to write.
    ///   - idleTimeout: How long the connection waits for another batch before it QUITs.
    ///   - group: The event loops to connect on.
    ///   - logger: Where connection events go.
    public init(
        to peer: PeerAddress, configuration: ClientSessionConfiguration, tls: NIOSSLContext? = nil,
        tlsServerName: String? = nil, timeout: Duration, idleTimeout: Duration = .seconds(2),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "tern.smtp.client")
    ) {
        precondition(!configuration.tlsAvailable || tls != nil, "tlsAvailable needs a TLS context")
        openedAt = .now
        Task {
            await self.run(
                peer: peer, session: ClientSession(configuration: configuration), tls: tls, tlsServerName: tlsServerName,
                timeout: timeout, idleTimeout: idleTimeout, group: group, logger: logger)
        }
    }

    /// False once the connection has ended or decided to end: it takes no more batches.
    public var isOpen: Bool {
        state.withLock { $0.phase == .open }
    }

    /// Sends `messages`, after any handed over before, and returns their results once all of
    /// them are decided, in the order decided. Never throws: failures are outcomes.
    ///
    /// - Parameters:
    ///   - messages: The messages, each with at least one recipient; their ids unique among the
    ///     messages in flight on this connection.
    ///   - body: Their stored text: CRLF line endings, not dot-stuffed, exactly
    ///     `OutboundMessage.size` octets.
    ///
    /// Cancelling the calling task aborts the connection (``abort()``): the call returns at once.
    public func deliver(_ messages: [OutboundMessage], body: @escaping BodyProvider) async -> [MessageResult] {
        await withTaskCancellationHandler {
            await handOver(messages, body: body)
        } onCancel: {
            abort()
        }
    }

    private func handOver(_ messages: [OutboundMessage], body: @escaping BodyProvider) async -> [MessageResult] {
        await withCheckedContinuation { continuation in
            let handed = state.withLock { state -> Result<(any Channel)?, Reply> in
                guard state.phase == .open else { return .failure(state.endReason) }
                state.handedOver += messages
                state.batches.append(Batch(messages: messages, continuation: continuation))
                for message in messages { state.bodies[message.id] = body }
                return .success(state.channel)
            }
            switch handed {
            case .failure(let reason): continuation.resume(returning: messages.map { Self.notTaken($0, reason) })
            case .success(let channel?): channel.firePeerInput(.handedOver)
            case .success(nil): break  // still connecting: the connection takes them once it can
            }
        }
    }

    /// Ends the connection now, without QUIT, for a caller that is stopping: every message
    /// handed over and not decided yet is deferred with `Reply.stopping` and its batch returns
    /// at once; no more batches are taken. A message whose text the peer had whole, its reply
    /// not read yet, may still have been taken there and be sent again later (the duplicate
    /// RFC 5321 §6.1 accepts rather than a loss).
    public func abort() {
        let (channel, abandoned) = state.withLock { state -> ((any Channel)?, [Batch]) in
            state.aborted = true
            if state.phase == .open { state.phase = .retired }
            state.endReason = .stopping
            state.handedOver = []
            defer { state.batches = [] }
            return (state.channel, state.batches)
        }
        for batch in abandoned {
            let left = batch.messages.filter { batch.pending.contains($0.id) }
            batch.continuation.resume(returning: batch.results + left.map { Self.notTaken($0, .stopping) })
        }
        channel?.close(promise: nil)
    }

    /// QUITs now when idle, else once every message handed over is decided and the idle time
    /// has run out; takes no more batches.
    public func close() {
        let channel = state.withLock { state -> (any Channel)? in
            if state.phase == .open { state.phase = .retired }
            return state.channel
        }
        channel?.firePeerInput(.idleTimeUp(generation: nil))
    }

    /// Returns once the connection has ended (after ``close()``, its idle time, or a failure).
    public func ended() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                if state.phase == .closed { return true }
                state.endWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    private func run(
        peer: PeerAddress, session: ClientSession, tls: NIOSSLContext?, tlsServerName: String?, timeout: Duration,
        idleTimeout: Duration, group: any EventLoopGroup, logger: Logger
    ) async {
        let reuse = ConnectionReuse(
            idleTimeout: idleTimeout, takeHandedOver: { self.state.withLock { $0.takeHandedOver() } },
            retireIfIdle: { self.state.withLock { $0.retireIfIdle() } })
        var session = session
        let channel: NIOAsyncChannel<PeerInput, ByteBuffer>
        do {
            channel = try await SMTPClient.connect(to: peer, timeout: timeout, group: group)
        } catch {
            logger.info("connection failed", metadata: ["peer": "\(peer)", "error": "\(error)"])
            let (messages, waiters) = state.withLock { state in
                state.phase = .closed
                state.endReason = .connectFailed
                return (state.takeHandedOver(), state.takeEndWaiters())
            }
            for case .messageResult(let result) in messages.flatMap({ session.send($0) }) + session.failed(.connectFailed) {
                decided(result)
            }
            for waiter in waiters { waiter.resume() }
            return
        }
        logger.debug("connected", metadata: ["peer": "\(peer)"])
        // The batches handed over while connecting go first; later ones are announced.
        let first = state.withLock { state -> [OutboundMessage]? in
            guard !state.aborted else { return nil }
            state.channel = channel.channel
            return state.takeHandedOver()
        }
        guard let first else {
            try? await channel.executeThenClose { _, _ in }
            markEnded()
            return
        }
        for message in first { _ = session.send(message) }
        var connection = ClientConnection(
            session: session, channel: channel.channel, deadline: Deadline(timeout: timeout, channel: channel.channel),
            tls: tls, tlsServerName: tlsServerName,
            sizes: Dictionary(first.map { ($0.id, $0.size) }, uniquingKeysWith: { first, _ in first }), logger: logger,
            reuse: reuse, decided: { self.decided($0) })
        do {
            try await withTaskExecutorPreference(EventLoopTaskExecutor(channel.channel.eventLoop)) {
                try await channel.executeThenClose { inbound, outbound in
                    var iterator = inbound.makeAsyncIterator()
                    await connection.run(inbound: &iterator, outbound: outbound) { id in
                        guard let provider = self.state.withLock({ $0.bodies[id] }) else {
                            preconditionFailure("a message's text asked for after its result")
                        }
                        return try await provider(id)
                    }
                }
            }
        } catch {
            logger.debug("close failed", metadata: ["error": "\(error)"])
        }
        markEnded()
    }

    /// Marks the connection ended: whatever was handed over and not taken never reached the peer.
    private func markEnded() {
        let (left, waiters) = state.withLock { state in
            state.phase = .closed
            state.channel = nil
            let left = state.batches.flatMap { batch in batch.messages.filter { batch.pending.contains($0.id) } }
            return (left, state.takeEndWaiters())
        }
        for message in left { decided(Self.notTaken(message, .sessionClosed)) }
        for waiter in waiters { waiter.resume() }
    }

    /// Records a message's result; resumes its batch once the batch is whole.
    private func decided(_ result: MessageResult) {
        let whole = state.withLock { state -> Batch? in
            state.bodies[result.messageID] = nil
            guard let index = state.batches.firstIndex(where: { $0.pending.contains(result.messageID) }) else {
                return nil
            }
            state.batches[index].pending.remove(result.messageID)
            state.batches[index].results.append(result)
            return state.batches[index].pending.isEmpty ? state.batches.remove(at: index) : nil
        }
        whole.map { $0.continuation.resume(returning: $0.results) }
    }

    /// Every recipient of `message` deferred with `reason`: the connection ended before it was sent.
    private static func notTaken(_ message: OutboundMessage, _ reason: Reply) -> MessageResult {
        MessageResult(messageID: message.id, recipients: message.recipients.map {
            RecipientResult(recipient: $0, outcome: .deferred(reason))
        })
    }

    /// A batch waiting for its results.
    private struct Batch {
        let messages: [OutboundMessage]
        /// The ids of the messages not decided yet.
        var pending: Set<String>
        var results: [MessageResult] = []
        let continuation: CheckedContinuation<[MessageResult], Never>

        init(messages: [OutboundMessage], continuation: CheckedContinuation<[MessageResult], Never>) {
            self.messages = messages
            pending = Set(messages.map(\.id))
            self.continuation = continuation
        }
    }

    private enum Phase {
        /// Takes batches.
        case open
        /// Ends once idle: takes no more.
        case retired
        /// Ended.
        case closed
    }

    private struct State {
        var phase = Phase.open
        /// Why a batch handed over after the end is deferred: no connection could be made, or
        /// the session ended.
        var endReason = Reply.sessionClosed
        /// Set once connected, until the connection ends.
        var channel: (any Channel)?
        /// `abort()` was called: a connection made afterwards is closed at once.
        var aborted = false
        /// Messages handed over and not yet taken by the connection's task.
        var handedOver: [OutboundMessage] = []
        var batches: [Batch] = []
        var bodies: [String: BodyProvider] = [:]
        /// Callers of `ended()`.
        var endWaiters: [CheckedContinuation<Void, Never>] = []

        mutating func takeHandedOver() -> [OutboundMessage] {
            defer { handedOver = [] }
            return handedOver
        }

        mutating func takeEndWaiters() -> [CheckedContinuation<Void, Never>] {
            defer { endWaiters = [] }
            return endWaiters
        }

        /// True, and the phase is `.retired`, unless a batch waits.
        mutating func retireIfIdle() -> Bool {
            guard batches.isEmpty, handedOver.isEmpty else { return false }
            if phase == .open { phase = .retired }
            return true
        }
    }
}

/// What a `ClientConnection` kept open between batches asks its owner.
struct ConnectionReuse: Sendable {
    /// How long the connection waits for more messages before it QUITs.
    let idleTimeout: Duration
    /// The messages handed over since the last call, in order.
    let takeHandedOver: @Sendable () -> [OutboundMessage]
    /// The idle time ran out: true, and nothing more is handed over, unless a batch waits.
    let retireIfIdle: @Sendable () -> Bool
}
