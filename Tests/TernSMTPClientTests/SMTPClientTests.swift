import Foundation
import NIOCore
import TernSMTPClient
import TernSMTPCore
import TernTestSupport
import Testing

/// The client over real loopback sockets, against Postfix's `smtp-sink` and a few fixed peers.
@Suite struct SMTPClientTests {
    let configuration = ClientSessionConfiguration(hostname: "client.example.org")

    /// Each recipient's reply code, per message id.
    func codes(_ results: [MessageResult]) -> [String: [Int]] {
        Dictionary(uniqueKeysWithValues: results.map { ($0.messageID, $0.recipients.map(\.outcome.reply.code)) })
    }

    func allDeferred(_ results: [MessageResult], with reply: Reply) -> Bool {
        results.allSatisfy { $0.recipients.allSatisfy { $0.outcome == .deferred(reply) } }
    }

    @Test func deliversTwoMessagesOnOneConnectionIntact() async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let texts = [
            "one": "Subject: first\r\n\r\nHello.\r\n.leading dot\r\n..two dots\r\n.\r\nend\r\n",
            "two": "Subject: second\r\n\r\nno final line ending",
        ]
        let messages = [
            try message("one", from: "alice@example.org", to: ["bob@example.net", "carol@example.net"], text: texts["one"]!),
            try message("two", from: "alice@example.org", to: ["dave@example.net"], text: texts["two"]!),
        ]
        let results = await SMTPClient.deliver(
            messages, to: .tcp(host: "127.0.0.1", port: sink.port), configuration: configuration, timeout: .seconds(10)
        ) { stream(texts[$0]!) }

        #expect(results.map(\.messageID) == ["one", "two"])
        #expect(codes(results) == ["one": [250, 250], "two": [250]])
        #expect(results.allSatisfy { $0.recipients.allSatisfy { if case .delivered = $0.outcome { true } else { false } } })
        let dumps = try sink.transactions()
        #expect(dumps.count == 2)
        let first = try #require(dumps.first { $0.contains("X-Rcpt-Args: <bob@example.net>") })
        #expect(first.contains("X-Rcpt-Args: <carol@example.net>"))
        // smtp-sink un-stuffs the dots and stores lines with LF endings.
        #expect(first.contains(texts["one"]!.replacingOccurrences(of: "\r\n", with: "\n")))
        let second = try #require(dumps.first { $0.contains("X-Rcpt-Args: <dave@example.net>") })
        #expect(second.contains("Subject: second\n\nno final line ending\n"))
    }

    @Test func hardRefusedRecipientsFail() async throws {
        let sink = try await SMTPSink(["-f", "RCPT"])
        defer { sink.stop() }
        let messages = [
            try message("one", from: "alice@example.org", to: ["bob@example.net", "carol@example.net"], text: "x\r\n"),
            try message("two", from: "alice@example.org", to: ["dave@example.net"], text: "y\r\n"),
        ]
        let results = await SMTPClient.deliver(
            messages, to: .tcp(host: "127.0.0.1", port: sink.port), configuration: configuration, timeout: .seconds(10)
        ) { stream($0) }

        #expect(codes(results) == ["one": [500, 500], "two": [500]])
        #expect(results.allSatisfy { $0.recipients.allSatisfy { if case .failed = $0.outcome { true } else { false } } })
        let dumps = try sink.transactions()
        #expect(dumps.isEmpty)
    }

    @Test func softRefusedRecipientsAreDeferred() async throws {
        let sink = try await SMTPSink(["-r", "RCPT"])
        defer { sink.stop() }
        let messages = [try message("one", from: "alice@example.org", to: ["bob@example.net"], text: "x\r\n")]
        let results = await SMTPClient.deliver(
            messages, to: .tcp(host: "127.0.0.1", port: sink.port), configuration: configuration, timeout: .seconds(10)
        ) { stream($0) }

        #expect(codes(results) == ["one": [450]])
        #expect(results.allSatisfy { $0.needsRetry })
    }

    @Test func authenticatesToASmarthostBeforeTheMessage() async throws {
        // The peer answers only the exact AUTH PLAIN line (NUL bob NUL secret) with 235: a
        // client that skipped AUTH, or sent other credentials, would never see MAIL accepted.
        let text = "Subject: auth\r\n\r\nx\r\n"
        let peer = try await ScriptedPeer(greeting: "220 smarthost ESMTP\r\n", script: [
            ("EHLO client.example.org\r\n", "250-smarthost\r\n250 AUTH PLAIN\r\n"),
            ("AUTH PLAIN AGJvYgBzZWNyZXQ=\r\n", "235 2.7.0 Authentication successful\r\n"),
            ("MAIL FROM:<alice@example.org>\r\n", "250 2.1.0 ok\r\n"),
            ("RCPT TO:<bob@example.net>\r\n", "250 2.1.5 ok\r\n"),
            ("DATA\r\n", "354 go ahead\r\n"),
            ("\r\n.\r\n", "250 2.0.0 queued\r\n"),
            ("QUIT\r\n", "221 2.0.0 bye\r\n"),
        ])
        var smarthost = configuration
        smarthost.credentials = ClientCredentials(username: "bob", password: "secret", allowInClearText: true)
        let messages = [try message("one", from: "alice@example.org", to: ["bob@example.net"], text: text)]
        let results = await SMTPClient.deliver(
            messages, to: .tcp(host: "127.0.0.1", port: peer.port), configuration: smarthost, timeout: .seconds(10)
        ) { _ in stream(text) }
        let transcript = try await peer.transcript()
        try await peer.stop()
        #expect(results.first?.recipients.first?.outcome == .delivered(Reply(250, EnhancedStatusCode(2, 0, 0), "queued")))
        #expect(transcript.hasPrefix("EHLO client.example.org\r\nAUTH PLAIN AGJvYgBzZWNyZXQ=\r\nMAIL FROM:"))
    }

    @Test func aReplyTricklingInOctetByOctetStillTimesOut() async throws {
        // One octet every 200 ms: the greeting would take about 5 s, the timeout is 1 s for
        // the whole reply, not for each octet.
        let peer = try await TricklingPeer(greeting: "220 slow.example ESMTP ready\r\n", interval: .milliseconds(200))
        let messages = [try message("one", from: "alice@example.org", to: ["bob@example.net"], text: "x\r\n")]
        let clock = ContinuousClock()
        let started = clock.now
        let results = await SMTPClient.deliver(
            messages, to: .tcp(host: "127.0.0.1", port: peer.port), configuration: configuration, timeout: .seconds(1)
        ) { stream($0) }
        let elapsed = clock.now - started
        try await peer.stop()
        #expect(allDeferred(results, with: .timedOut))
        #expect(elapsed < .seconds(3), "took \(elapsed)")
    }

    @Test func connectionRefusedDefersEveryRecipient() async throws {
        let port = try await freePort()
        let messages = [
            try message("one", from: "alice@example.org", to: ["bob@example.net", "carol@example.net"], text: "x\r\n"),
            try message("two", from: "alice@example.org", to: ["dave@example.net"], text: "y\r\n"),
        ]
        let results = await SMTPClient.deliver(
            messages, to: .tcp(host: "127.0.0.1", port: port), configuration: configuration, timeout: .seconds(5)
        ) { stream($0) }

        #expect(results.map(\.messageID) == ["one", "two"])
        #expect(results.map(\.recipients.count) == [2, 1])
        #expect(allDeferred(results, with: .connectFailed))
    }

    @Test func disconnectAfterTheTextDefersTheMessage() async throws {
        let sink = try await SMTPSink(["-q", "."])
        defer { sink.stop() }
        let messages = [
            try message("one", from: "alice@example.org", to: ["bob@example.net"], text: "x\r\n"),
            try message("two", from: "alice@example.org", to: ["dave@example.net"], text: "y\r\n"),
        ]
        let results = await SMTPClient.deliver(
            messages, to: .tcp(host: "127.0.0.1", port: sink.port), configuration: configuration, timeout: .seconds(10)
        ) { stream($0) }

        #expect(results.map(\.messageID) == ["one", "two"])
        #expect(allDeferred(results, with: .connectionLost))
    }

    @Test func failingBodyDropsTheConnectionBeforeTheTextEnds() async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        struct Unreadable: Error {}
        let messages = [try message("one", from: "alice@example.org", to: ["bob@example.net"], text: "x\r\ny\r\n")]
        let results = await SMTPClient.deliver(
            messages, to: .tcp(host: "127.0.0.1", port: sink.port), configuration: configuration, timeout: .seconds(10)
        ) { _ in
            AsyncThrowingStream<ByteBuffer, any Error> { continuation in
                continuation.yield(ByteBuffer(string: "x\r\n"))
                continuation.finish(throwing: Unreadable())
            }
        }

        #expect(allDeferred(results, with: .connectionLost))
        // smtp-sink writes no dump for a transaction without its final ".".
        try await Task.sleep(for: .milliseconds(200))
        let dumps = try sink.transactions()
        #expect(dumps.allSatisfy { !$0.contains("X-Rcpt-Args") })
    }

    @Test func silentPeerTimesOut() async throws {
        let peer = try await ScriptedPeer(greeting: "")
        let messages = [try message("one", from: "alice@example.org", to: ["bob@example.net"], text: "x\r\n")]
        let started = ContinuousClock.now
        let results = await SMTPClient.deliver(
            messages, to: .tcp(host: "127.0.0.1", port: peer.port), configuration: configuration, timeout: .milliseconds(300)
        ) { stream($0) }
        try await peer.stop()

        #expect(allDeferred(results, with: .timedOut))
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func malformedGreetingDefers() async throws {
        let peer = try await ScriptedPeer(greeting: "hello there\r\n")
        let messages = [try message("one", from: "alice@example.org", to: ["bob@example.net"], text: "x\r\n")]
        let results = await SMTPClient.deliver(
            messages, to: .tcp(host: "127.0.0.1", port: peer.port), configuration: configuration, timeout: .seconds(5)
        ) { stream($0) }
        try await peer.stop()

        #expect(allDeferred(results, with: .malformedReply))
    }

    @Test func chunkingPeerGetsBDATWithTheTextAsStored() async throws {
        let text = "Subject: chunk\r\n\r\n.dot stays single\r\n"
        let peer = try await ScriptedPeer(greeting: "220 fake ESMTP\r\n", script: [
            ("EHLO client.example.org\r\n", "250-fake\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 SIZE 1000\r\n"),
            ("RCPT TO:<bob@example.net>\r\n", "250 2.1.0 ok\r\n250 2.1.5 ok\r\n"),
            ("BDAT \(text.utf8.count) LAST\r\n" + text, "250 2.0.0 queued as X\r\n"),
            ("QUIT\r\n", "221 2.0.0 bye\r\n"),
        ])
        let messages = [try message("one", from: "alice@example.org", to: ["bob@example.net"], text: text)]
        let results = await SMTPClient.deliver(
            messages, to: .tcp(host: "127.0.0.1", port: peer.port), configuration: configuration, timeout: .seconds(5)
        ) { _ in stream(text) }
        let transcript = try await peer.transcript()
        try await peer.stop()

        #expect(results.first?.recipients.first?.outcome == .delivered(Reply(250, EnhancedStatusCode(2, 0, 0), "queued as X")))
        #expect(transcript == "EHLO client.example.org\r\nMAIL FROM:<alice@example.org> SIZE=\(text.utf8.count)\r\n"
            + "RCPT TO:<bob@example.net>\r\nBDAT \(text.utf8.count) LAST\r\n\(text)QUIT\r\n")
    }

    @Test func lmtpGivesEachRecipientItsOwnReply() async throws {
        let sink = try await SMTPSink(["-L"])
        defer { sink.stop() }
        let text = "Subject: lmtp\r\n\r\nbody\r\n"
        let messages = [try message("one", from: "alice@example.org", to: ["bob@example.net", "carol@example.net"], text: text)]
        let results = await SMTPClient.deliver(
            messages, to: .tcp(host: "127.0.0.1", port: sink.port),
            configuration: ClientSessionConfiguration(hostname: "client.example.org", lmtp: true), timeout: .seconds(10)
        ) { _ in stream(text) }

        #expect(codes(results) == ["one": [250, 250]])
        let dumps = try sink.transactions()
        #expect(dumps.count == 1 && dumps[0].contains("Subject: lmtp\n\nbody\n"))
    }
}
