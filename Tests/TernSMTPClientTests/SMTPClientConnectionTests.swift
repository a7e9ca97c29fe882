import Foundation
import NIOCore
import TernSMTPClient
import TernSMTPCore
import TernTestSupport
import Testing

/// A connection kept open between batches, over real loopback sockets.
@Suite(.timeLimit(.minutes(1))) struct SMTPClientConnectionTests {
    let configuration = ClientSessionConfiguration(hostname: "client.example.org")

    /// One message from alice to bob with `text`.
    func letter(_ id: String, _ text: String = "Subject: kept\r\n\r\nHi.\r\n") throws -> OutboundMessage {
        try message(id, from: "alice@example.org", to: ["bob@example.net"], text: text)
    }

    func codes(_ results: [MessageResult]) -> [Int] {
        results.flatMap { $0.recipients.map(\.outcome.reply.code) }
    }

    /// Greets, answers EHLO without extensions, then takes one command at a time.
    static let oneMessage: [(awaiting: String, reply: String)] = [
        ("MAIL FROM:<alice@example.org>\r\n", "250 2.1.0 ok\r\n"),
        ("RCPT TO:<bob@example.net>\r\n", "250 2.1.5 ok\r\n"),
        ("DATA\r\n", "354 go on\r\n"),
        ("\r\n.\r\n", "250 2.0.0 queued\r\n"),
    ]

    @Test func twoBatchesGoOverOneConnectionThatQuitsOnceIdle() async throws {
        let peer = try await ScriptedPeer(
            greeting: "220 peer ESMTP\r\n",
            script: [("EHLO client.example.org\r\n", "250 peer\r\n")] + Self.oneMessage + Self.oneMessage
                + [("QUIT\r\n", "221 2.0.0 bye\r\n")])
        let connection = SMTPClientConnection<AsyncStream<ByteBuffer>>(
            to: .tcp(host: "127.0.0.1", port: peer.port), configuration: configuration, timeout: .seconds(10),
            idleTimeout: .milliseconds(300))
        let first = await connection.deliver([try letter("one")]) { _ in stream("Subject: kept\r\n\r\nHi.\r\n") }
        #expect(connection.isOpen)
        let second = await connection.deliver([try letter("two")]) { _ in stream("Subject: kept\r\n\r\nHi.\r\n") }
        let transcript = try await peer.transcript()

        #expect(codes(first) == [250] && codes(second) == [250])
        #expect(transcript.components(separatedBy: "EHLO").count == 2)
        #expect(transcript.components(separatedBy: "MAIL FROM:").count == 3)
        #expect(transcript.hasSuffix("QUIT\r\n"))
        #expect(!connection.isOpen)
    }

    @Test func aPeerThatSays421WhileIdleEndsItAndTheNextBatchIsNotSent() async throws {
        var script = [("EHLO client.example.org\r\n", "250 peer\r\n")] + Self.oneMessage
        script[script.count - 1].reply += "421 4.4.2 peer closing\r\n"
        let peer = try await ScriptedPeer(greeting: "220 peer ESMTP\r\n", script: script)
        let connection = SMTPClientConnection<AsyncStream<ByteBuffer>>(
            to: .tcp(host: "127.0.0.1", port: peer.port), configuration: configuration, timeout: .seconds(10),
            idleTimeout: .seconds(30))
        let first = await connection.deliver([try letter("one")]) { _ in stream("x\r\n") }
        let transcript = try await peer.transcript()
        let second = await connection.deliver([try letter("two")]) { _ in stream("x\r\n") }

        #expect(codes(first) == [250])
        #expect(second.map(\.messageID) == ["two"])
        #expect(second.allSatisfy { $0.recipients.allSatisfy { $0.outcome == .deferred(.sessionClosed) } })
        #expect(!transcript.contains("QUIT"), "a 421 closes without QUIT")
        #expect(!connection.isOpen)
    }

    @Test func closeQuitsAnIdleConnectionAtOnce() async throws {
        let peer = try await ScriptedPeer(
            greeting: "220 peer ESMTP\r\n",
            script: [("EHLO client.example.org\r\n", "250 peer\r\n")] + Self.oneMessage
                + [("QUIT\r\n", "221 2.0.0 bye\r\n")])
        let connection = SMTPClientConnection<AsyncStream<ByteBuffer>>(
            to: .tcp(host: "127.0.0.1", port: peer.port), configuration: configuration, timeout: .seconds(10),
            idleTimeout: .seconds(60))
        _ = await connection.deliver([try letter("one")]) { _ in stream("x\r\n") }
        let started = ContinuousClock.now
        connection.close()
        let transcript = try await peer.transcript()

        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(transcript.hasSuffix("QUIT\r\n"))
        let refused = await connection.deliver([try letter("two")]) { _ in stream("x\r\n") }
        #expect(refused.allSatisfy { $0.recipients.allSatisfy { $0.outcome == .deferred(.sessionClosed) } })
    }

    @Test func aRefusedConnectionDefersTheBatch() async throws {
        let port = try await freePort()
        let connection = SMTPClientConnection<AsyncStream<ByteBuffer>>(
            to: .tcp(host: "127.0.0.1", port: port), configuration: configuration, timeout: .seconds(5))
        let results = await connection.deliver([try letter("one"), try letter("two")]) { _ in stream("x\r\n") }

        #expect(results.map(\.messageID) == ["one", "two"])
        #expect(results.allSatisfy { $0.recipients.allSatisfy { $0.outcome == .deferred(.connectFailed) } })
        #expect(!connection.isOpen)
    }
}
