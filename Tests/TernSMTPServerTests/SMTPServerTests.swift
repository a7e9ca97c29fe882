import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing
import TernSMTPCore
import TernSMTPServer

/// The embeddable server API over a real socket, with an in-memory delegate.
@Suite struct SMTPServerTests {
    final class MemoryDelegate: SMTPServerDelegate, SMTPSessionHandler {
        let messages = NIOLockedValueBox<[String]>([])

        func session(for connection: ConnectionInfo) async throws(Reply) -> any SMTPSessionHandler { self }
        func mail(from path: ReversePath, parameters: MailParameters) async throws(Reply) {}
        func recipient(_ path: ForwardPath, parameters: RcptParameters) async throws(Reply) -> Reply {
            if case .mailbox(let mailbox) = path, mailbox.localPart == "nobody" { throw Reply.unknownUser("\(mailbox)") }
            return .recipientOK
        }
        func verify(_ request: VerifyRequest) async -> Reply { .cannotVerify }
        func beginMessage() async throws(Reply) -> any SMTPMessageSink { Sink(delegate: self) }
    }

    final class Sink: SMTPMessageSink {
        let delegate: MemoryDelegate
        let text = NIOLockedValueBox("")
        init(delegate: MemoryDelegate) { self.delegate = delegate }
        func write(_ bytes: ByteBuffer) async throws { text.withLockedValue { $0 += String(buffer: bytes) } }
        func commit(_ summary: MessageSummary) async throws(Reply) -> QueueID {
            let body = text.withLockedValue { $0 }
            return delegate.messages.withLockedValue { $0.append(body); return QueueID("ID\($0.count)")! }
        }
        func abort() async {}
    }

    static func server(
        _ delegate: MemoryDelegate, idle: Duration = .seconds(5), maximum: Int = 10
    ) async throws -> SMTPServer {
        try await SMTPServer(
            configuration: SMTPServerConfiguration(
                host: "127.0.0.1", port: 0, session: ServerSessionConfiguration(hostname: "mx.example.com"), idleTimeout: idle),
            delegate: delegate, tracker: ConnectionTracker(maximum: maximum, maximumPerClient: 1, isExempt: { _ in true }),
            logger: Logger(label: "test"))
    }

    /// Runs `body` while `server` runs, then stops the server.
    static func running(_ server: SMTPServer, _ body: (Int) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            try await body(server.localPort!)
        }
    }

    @Test func pipelinedTransactionOverASocket() async throws {
        let delegate = MemoryDelegate()
        try await Self.running(try await Self.server(delegate)) { port in
            let client = try await LineClient.connect(port: port)
            let output = try await client.exchange(
                "EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<nobody@b.example>\r\nRCPT TO:<x@b.example>\r\nDATA\r\n"
                    + "Subject: s\r\n\r\n..x\r\n.\r\nQUIT\r\n",
                until: "221 ")
            let codes = output.split(separator: "\r\n").filter { $0.dropFirst(3).first == " " }.map { $0.prefix(3) }
            #expect(codes == ["220", "250", "250", "550", "250", "354", "250", "221"])
        }
        #expect(delegate.messages.withLockedValue { $0 } == ["Subject: s\r\n\r\n.x\r\n"])
    }

    @Test func idleTimeoutCloses() async throws {
        try await Self.running(try await Self.server(MemoryDelegate(), idle: .milliseconds(300))) { port in
            let client = try await LineClient.connect(port: port)
            let output = try await client.exchange("", until: "421 ")
            #expect(output.hasSuffix("421 4.4.2 mx.example.com Timeout exceeded, closing transmission channel\r\n"))
        }
    }

    @Test func serverConnectionLimit() async throws {
        try await Self.running(try await Self.server(MemoryDelegate(), maximum: 1)) { port in
            let first = try await LineClient.connect(port: port)
            _ = first
            try await Task.sleep(for: .milliseconds(200))
            let second = try await LineClient.connect(port: port)
            let output = try await second.exchange("", until: "421 ")
            #expect(output == "421 4.3.2 mx.example.com Too many connections, closing transmission channel\r\n")
            try await first.channel.channel.close()
        }
    }
}

/// Stress (docs/behaviour.md §0.2): from 80 % of the connection limit in use until below 70 %.
@Suite struct ConnectionStressTests {
    @Test func stressBeginsAt80AndEndsBelow70Percent() throws {
        let changes = NIOLockedValueBox<[Bool]>([])
        let tracker = ConnectionTracker(maximum: 10, maximumPerClient: 10, isExempt: { _ in true },
                                        stressChanged: { stressed, _ in changes.withLockedValue { $0.append(stressed) } })
        let channels = (0..<9).map { _ in EmbeddedChannel() }
        var ids: [UInt64] = []
        for channel in channels.prefix(7) {
            guard case .admitted(let id) = tracker.admit(channel, address: "127.0.0.1") else { Issue.record(); return }
            ids.append(id)
        }
        #expect(!tracker.isStressed)
        guard case .admitted(let eighth) = tracker.admit(channels[7], address: "127.0.0.1") else { Issue.record(); return }
        #expect(tracker.isStressed)
        tracker.release(eighth)
        #expect(tracker.isStressed, "7 of 10 is not below 70 %")
        tracker.release(ids.removeLast())
        #expect(!tracker.isStressed)
        #expect(changes.withLockedValue { $0 } == [true, false])
    }
}
