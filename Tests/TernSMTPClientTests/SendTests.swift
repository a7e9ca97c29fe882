import NIOConcurrencyHelpers
import NIOCore
import TernSMTPClient
import TernSMTPCore
import TernSMTPServer
import Testing

/// The one-call client against an embedded server over a loopback socket.
@Suite struct SendTests {
    /// What the server received: each message's summary and text.
    final class Received: Sendable {
        let messages = NIOLockedValueBox<[(summary: MessageSummary, text: String, id: QueueID)]>([])
    }

    /// A handler with only the message sink written: every other decision is the default.
    struct SinkOnly: SMTPSessionHandler {
        let received: Received
        func beginMessage() async throws(Reply) -> any SMTPMessageSink { Collector(received: received) }
    }

    /// A handler that refuses one recipient with a code of its own.
    struct Picky: SMTPSessionHandler {
        let received: Received
        func recipient(_ path: ForwardPath, parameters: RcptParameters) async throws(Reply) -> Reply {
            guard path.description != "<carol@example.net>" else {
                throw Reply(550, EnhancedStatusCode(permanent: 7, 26), "Multiple authentication checks failed")
            }
            return .recipientOK
        }
        func beginMessage() async throws(Reply) -> any SMTPMessageSink { Collector(received: received) }
    }

    actor Collector: SMTPMessageSink {
        let received: Received
        var text = ByteBuffer()
        init(received: Received) { self.received = received }
        func write(_ bytes: ByteBuffer) { text.writeImmutableBuffer(bytes) }
        func commit(_ summary: MessageSummary) -> QueueID {
            let id = QueueID.random()
            received.messages.withLockedValue { $0.append((summary, String(buffer: text), id)) }
            return id
        }
        func abort() {}
    }

    /// Runs a server whose handlers `make` gives while `body` runs with its port.
    static func serving(
        _ make: @escaping @Sendable () -> any SMTPSessionHandler, _ body: (Int) async throws -> Void
    ) async throws {
        let server = try await SMTPServer(
            configuration: SMTPServerConfiguration(
                host: "127.0.0.1", port: 0, session: ServerSessionConfiguration(hostname: "mx.example.com"),
                idleTimeout: .seconds(10))
        ) { _ in make() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            try await body(server.localPort!)
        }
    }

    static func via(_ port: Int) -> SMTPClient.Server {
        SMTPClient.Server(host: "127.0.0.1", port: port, tls: .never, clientName: "client.example.org", timeout: .seconds(10))
    }

    @Test(.timeLimit(.minutes(1))) func aServerWithOnlyAMessageSinkReceivesTheMessage() async throws {
        let received = Received()
        try await Self.serving({ SinkOnly(received: received) }) { port in
            let results = try await SMTPClient.send(
                "Subject: hello\nX-Test: one\n\nfirst line\n.leading dot\nno final line end",
                from: "alice@example.org", to: ["bob@example.net", "<Carol@Example.net>"], via: Self.via(port))
            let messages = received.messages.withLockedValue { $0 }
            try #require(messages.count == 1)
            let (summary, text, id) = messages[0]
            #expect(text == "Subject: hello\r\nX-Test: one\r\n\r\nfirst line\r\n.leading dot\r\nno final line end\r\n")
            #expect(summary.sender.description == "<alice@example.org>")
            #expect(summary.recipients.map(\.path.description) == ["<bob@example.net>", "<Carol@Example.net>"])
            #expect(summary.clientName == "client.example.org")
            #expect(summary.parameters.size == text.utf8.count)
            #expect(summary.parameters.body == nil && !summary.parameters.smtpUTF8)
            #expect(results.map(\.recipient.path.description) == ["<bob@example.net>", "<Carol@Example.net>"])
            for result in results {
                guard case .delivered(let reply) = result.outcome else {
                    Issue.record("not delivered: \(result)")
                    continue
                }
                #expect(reply.code == 250 && reply.enhanced?.description == "2.0.0")
                #expect(reply.lines == ["Requested mail action okay, completed: queued as \(id)"])
            }
        }
    }

    @Test(.timeLimit(.minutes(1))) func eightBitTextAndUTF8HeadersAskForTheirExtensions() async throws {
        let received = Received()
        try await Self.serving({ SinkOnly(received: received) }) { port in
            try await SMTPClient.send(
                "Subject: Grüße\r\n\r\nbody\r\n", from: "jöran@exämple.com", to: ["bob@example.net"], via: Self.via(port))
            try await SMTPClient.send(
                "Subject: plain\r\n\r\nGrüße\r\n", from: "alice@example.org", to: ["bob@example.net"], via: Self.via(port))
        }
        let parameters = received.messages.withLockedValue { $0.map(\.summary.parameters) }
        #expect(parameters.map(\.smtpUTF8) == [true, false])
        #expect(parameters.map(\.body) == [.eightBitMIME, .eightBitMIME])
    }

    @Test(.timeLimit(.minutes(1))) func aRefusedRecipientIsReportedWithTheServersOwnCode() async throws {
        let received = Received()
        try await Self.serving({ Picky(received: received) }) { port in
            do throws(SMTPClient.SendError) {
                try await SMTPClient.send(
                    "Subject: x\n\ny\n", from: "alice@example.org", to: ["bob@example.net", "carol@example.net"],
                    via: Self.via(port))
                Issue.record("a refused recipient must make send throw")
            } catch .notDelivered(let results) {
                #expect(results.map(\.outcome.reply.code) == [250, 550])
                guard case .failed(let refusal) = results[1].outcome else {
                    Issue.record("carol must fail: \(results[1])")
                    return
                }
                #expect(refusal.enhanced?.description == "5.7.26")
                #expect(refusal.lines == ["Multiple authentication checks failed"])
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
        #expect(received.messages.withLockedValue { $0.map(\.summary.recipients.count) } == [1])
    }

    @Test func badInputIsRefusedBeforeConnecting() async {
        let nowhere = SMTPClient.Server(host: "127.0.0.1", port: 9, tls: .never, timeout: .seconds(1))
        await #expect(throws: SMTPClient.SendError.invalidAddress("not an address")) {
            try await SMTPClient.send("x", from: "alice@example.org", to: ["not an address"], via: nowhere)
        }
        await #expect(throws: SMTPClient.SendError.noRecipients) {
            try await SMTPClient.send("x", from: "alice@example.org", to: [], via: nowhere)
        }
    }

    @Test func anUnreachableServerDefersEveryRecipient() async throws {
        // Port 9 (discard) on loopback: nothing listens there on a test machine.
        let nowhere = SMTPClient.Server(host: "127.0.0.1", port: 9, tls: .never, timeout: .seconds(5))
        do throws(SMTPClient.SendError) {
            try await SMTPClient.send("x\n", from: "", to: ["bob@example.net"], via: nowhere)
            Issue.record("nothing listens, so nothing can be delivered")
        } catch .notDelivered(let results) {
            #expect(results.map(\.outcome) == [.deferred(.connectFailed)])
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
