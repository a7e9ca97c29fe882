import Logging
import NIOCore
import TernSMTPCore

/// Runs one connection: frames the input, drives its `ServerSession`, performs the actions
/// the session returns, and writes replies, batched until more input is needed (RFC 2920).
struct SMTPConnection {
    let channel: NIOAsyncChannel<ConnectionEvent, ByteBuffer>
    let info: ConnectionInfo
    let configuration: ServerSessionConfiguration
    let delegate: any SMTPServerDelegate
    let logger: Logger

    func run() async throws {
        try await channel.executeThenClose { inbound, outbound in
            var io = SessionIO(outbound: outbound, delegate: delegate, hostname: configuration.hostname, logger: logger)
            let handler: any SMTPSessionHandler
            do throws(Reply) {
                handler = try await delegate.session(for: info)
            } catch {
                try await io.finish(with: error)
                return
            }
            var session = ServerSession(configuration: configuration)
            var framer = SMTPFramer()
            var sink: (any SMTPMessageSink)?
            do {
                try await serve(&io, &session, &framer, handler, &sink, inbound)
            } catch {
                if let sink { await sink.abort() }
                throw error
            }
        }
    }

    private func serve(
        _ io: inout SessionIO, _ session: inout ServerSession, _ framer: inout SMTPFramer,
        _ handler: any SMTPSessionHandler, _ sink: inout (any SMTPMessageSink)?,
        _ inbound: NIOAsyncChannelInboundStream<ConnectionEvent>
    ) async throws {
            try await io.perform(session.connected(), session: &session, handler: handler, sink: &sink)
            try await io.flush()
            events: for try await event in inbound {
                switch event {
                case .bytes(let bytes):
                    framer.append(bytes)
                case .idleTimeout:
                    logger.info("idle timeout")
                    try await io.perform(session.terminate(.idleTimeout(configuration.hostname)),
                                         session: &session, handler: handler, sink: &sink)
                case .shutdown:
                    try await io.perform(session.terminate(.shuttingDown(configuration.hostname)),
                                         session: &session, handler: handler, sink: &sink)
                }
                while session.isOpen, let frame = framer.next(session.inputMode) {
                    try await io.perform(session.received(frame), session: &session, handler: handler, sink: &sink)
                }
                try await io.flush()
                if !session.isOpen { break events }
            }
            try await io.perform(session.disconnected(), session: &session, handler: handler, sink: &sink)
            try await io.flush()
    }
}

/// The I/O half of a connection: the reply buffer and the execution of session actions.
private struct SessionIO {
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let delegate: any SMTPServerDelegate
    let hostname: String
    let logger: Logger
    private var pending = ByteBuffer()

    init(outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, delegate: any SMTPServerDelegate, hostname: String, logger: Logger) {
        self.outbound = outbound
        self.delegate = delegate
        self.hostname = hostname
        self.logger = logger
    }

    mutating func flush() async throws {
        guard pending.readableBytes > 0 else { return }
        let bytes = pending
        pending.clear()
        try await outbound.write(bytes)
    }

    mutating func finish(with reply: Reply) async throws {
        reply.write(into: &pending)
        try await flush()
    }

    /// Performs actions in order; an action that gets an answer continues with the actions
    /// the answer produces.
    mutating func perform(
        _ actions: [ServerAction], session: inout ServerSession,
        handler: any SMTPSessionHandler, sink: inout (any SMTPMessageSink)?
    ) async throws {
        var queue = actions[...]
        while let action = queue.popFirst() {
            var next: [ServerAction] = []
            switch action {
            case .send(let reply):
                if !reply.isPositive { logger.info("refused", metadata: ["reply": "\(reply.code) \(reply.lines[0])"]) }
                reply.write(into: &pending)
            case .close(let reply):
                reply.write(into: &pending)
                try await flush()
            case .ask(let question):
                next = session.answered(await answer(question, handler: handler))
            case .openMessage:
                do throws(Reply) {
                    sink = try await handler.beginMessage()
                    next = session.opened(true)
                } catch {
                    logger.error("message store could not be opened", metadata: ["reply": "\(error.code)"])
                    next = session.opened(false)
                }
            case .appendMessage(let bytes):
                do {
                    try await sink?.write(bytes)
                } catch {
                    logger.error("message store write failed", metadata: ["error": "\(error)"])
                    next = session.storeFailed()
                }
            case .commitMessage(let summary):
                guard let open = sink else { preconditionFailure("commit without an open store") }
                sink = nil
                do throws(Reply) {
                    next = session.committed(.success(try await open.commit(summary)))
                } catch {
                    next = session.committed(.failure(error))
                }
            case .discardMessage:
                if let open = sink {
                    sink = nil
                    await open.abort()
                }
            }
            queue = next[...] + queue
        }
    }

    private func answer(_ question: Question, handler: any SMTPSessionHandler) async -> Reply {
        switch question {
        case .sender(let path, let parameters):
            do throws(Reply) {
                try await handler.mail(from: path, parameters: parameters)
                return .senderOK
            } catch {
                return error
            }
        case .recipient(let path, let parameters):
            do throws(Reply) {
                return try await handler.recipient(path, parameters: parameters)
            } catch {
                return error
            }
        case .verify(let request):
            return await handler.verify(request)
        case .status:
            return .systemStatus(hostname, await delegate.status())
        }
    }
}
