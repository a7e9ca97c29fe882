import NIOCore
import Testing
import TernSMTPCore
import TernTestSupport

/// A `ClientSession` against Tern's own `ServerSession`, in memory.
@Suite struct ClientSessionTests {
    static let serverConfiguration = ServerSessionConfiguration(hostname: "mx.example.com", messageSizeLimit: 1_048_576)
    static let clientConfiguration = ClientSessionConfiguration(hostname: "tern.example")

    static func mailbox(_ address: String) -> Mailbox {
        let parts = address.split(separator: "@")
        return Mailbox(localPart: String(parts[0]), domain: .name(String(parts[1])))
    }

    static func message(_ id: String, to recipients: [String], text: String, from sender: String = "alice@example.com",
                        needs8bit: Bool = false) -> OutboundMessage {
        OutboundMessage(id: id, sender: .mailbox(mailbox(sender)),
                        recipients: recipients.map { OutboundRecipient(path: .mailbox(mailbox($0))) },
                        size: text.utf8.count, needs8bit: needs8bit)
    }

    static let text1 = "Subject: one\r\n\r\n.leading dot\r\n..two\r\nend\r\n"
    static let text2 = "Subject: two\r\n\r\nbody\r\n"

    /// The codes of each recipient's outcome, as `delivered 250`, `failed 550 5.1.1`.
    static func outcomes(_ result: MessageResult) -> [String] {
        result.recipients.map { recipient in
            let (kind, reply): (String, Reply) = switch recipient.outcome {
            case .delivered(let reply): ("delivered", reply)
            case .deferred(let reply): ("deferred", reply)
            case .failed(let reply): ("failed", reply)
            }
            return "\(kind) \(reply.code)" + (reply.enhanced.map { " \($0)" } ?? "")
        }
    }

    /// Two messages, the server answering bad@ with 550.
    static func run(hiding keywords: Set<String>, first: [String] = ["bob@example.net", "carol@example.net"],
                    server configuration: ServerSessionConfiguration = serverConfiguration) -> (ClientHarness, SessionDriver) {
        var harness = ClientHarness(clientConfiguration)
        harness.hiddenKeywords = keywords
        #expect(harness.send(message("m1", to: first, text: text1), text: text1).isEmpty)
        #expect(harness.send(message("m2", to: ["dave@example.net"], text: text2), text: text2).isEmpty)
        #expect(harness.quit().isEmpty)
        var server = SessionDriver(configuration) { question in
            if case .recipient(.mailbox(let mailbox), _) = question, mailbox.localPart == "bad" {
                return .unknownUser(mailbox.description)
            }
            return SessionDriver.acceptAll(question)
        }
        harness.pump(&server)
        #expect(harness.closed && server.closed)
        return (harness, server)
    }

    @Test func twoMessagesPipelinedWithData() {
        let (harness, server) = Self.run(hiding: ["CHUNKING"])
        #expect(harness.writes == [
            "EHLO tern.example\r\n",
            "MAIL FROM:<alice@example.com> SIZE=\(Self.text1.utf8.count)\r\n"
                + "RCPT TO:<bob@example.net>\r\nRCPT TO:<carol@example.net>\r\nDATA\r\n",
            "<text>",
            "MAIL FROM:<alice@example.com> SIZE=\(Self.text2.utf8.count)\r\nRCPT TO:<dave@example.net>\r\nDATA\r\n",
            "<text>",
            "QUIT\r\n",
        ])
        #expect(server.committed.map { String(decoding: $0.text, as: UTF8.self) } == [Self.text1, Self.text2])
        #expect(server.committed[0].summary.recipients.map(\.path.description) == ["<bob@example.net>", "<carol@example.net>"])
        #expect(harness.results.map(\.messageID) == ["m1", "m2"])
        #expect(harness.results.map(Self.outcomes) == [["delivered 250 2.0.0", "delivered 250 2.0.0"], ["delivered 250 2.0.0"]])
        #expect(harness.results[0].recipients[0].outcome.reply.lines == ["Requested mail action okay, completed: queued as Q1"])
        #expect(!harness.results[0].needsRetry)
    }

    @Test func withoutPipeliningOneCommandAtATime() {
        let (harness, server) = Self.run(hiding: ["CHUNKING", "PIPELINING"])
        #expect(harness.writes == [
            "EHLO tern.example\r\n",
            "MAIL FROM:<alice@example.com> SIZE=\(Self.text1.utf8.count)\r\n",
            "RCPT TO:<bob@example.net>\r\n",
            "RCPT TO:<carol@example.net>\r\n",
            "DATA\r\n",
            "<text>",
            "MAIL FROM:<alice@example.com> SIZE=\(Self.text2.utf8.count)\r\n",
            "RCPT TO:<dave@example.net>\r\n",
            "DATA\r\n",
            "<text>",
            "QUIT\r\n",
        ])
        #expect(server.committed.count == 2)
        #expect(harness.results.map(Self.outcomes) == [["delivered 250 2.0.0", "delivered 250 2.0.0"], ["delivered 250 2.0.0"]])
    }

    @Test func chunkingUsesOneBDATLast() {
        let (harness, server) = Self.run(hiding: [])
        #expect(harness.writes == [
            "EHLO tern.example\r\n",
            "MAIL FROM:<alice@example.com> SIZE=\(Self.text1.utf8.count)\r\nRCPT TO:<bob@example.net>\r\nRCPT TO:<carol@example.net>\r\n",
            "BDAT \(Self.text1.utf8.count) LAST\r\n",
            "<chunk>",
            "MAIL FROM:<alice@example.com> SIZE=\(Self.text2.utf8.count)\r\nRCPT TO:<dave@example.net>\r\n",
            "BDAT \(Self.text2.utf8.count) LAST\r\n",
            "<chunk>",
            "QUIT\r\n",
        ])
        #expect(server.committed.map { String(decoding: $0.text, as: UTF8.self) } == [Self.text1, Self.text2])
        #expect(harness.results.map(Self.outcomes) == [["delivered 250 2.0.0", "delivered 250 2.0.0"], ["delivered 250 2.0.0"]])
    }

    @Test(arguments: [Set<String>(), ["CHUNKING"], ["CHUNKING", "PIPELINING"]])
    func refusedRecipient(hiding keywords: Set<String>) {
        let (harness, server) = Self.run(hiding: keywords, first: ["bad@example.net", "bob@example.net"])
        #expect(harness.results.map(Self.outcomes) == [["failed 550 5.1.1", "delivered 250 2.0.0"], ["delivered 250 2.0.0"]])
        #expect(server.committed[0].summary.recipients.map(\.path.description) == ["<bob@example.net>"])
        #expect(!harness.writes.contains("RSET\r\n"))
    }

    @Test func allRefusedPipelinedThenReset() {
        let (harness, server) = Self.run(hiding: ["CHUNKING"], first: ["bad@example.net"])
        #expect(harness.writes == [
            "EHLO tern.example\r\n",
            "MAIL FROM:<alice@example.com> SIZE=\(Self.text1.utf8.count)\r\nRCPT TO:<bad@example.net>\r\nDATA\r\n",
            "RSET\r\nMAIL FROM:<alice@example.com> SIZE=\(Self.text2.utf8.count)\r\nRCPT TO:<dave@example.net>\r\nDATA\r\n",
            "<text>",
            "QUIT\r\n",
        ])
        #expect(harness.results.map(Self.outcomes) == [["failed 550 5.1.1"], ["delivered 250 2.0.0"]])
        #expect(server.committed.map { String(decoding: $0.text, as: UTF8.self) } == [Self.text2])
    }

    @Test(arguments: [Set(["PIPELINING"]), ["PIPELINING", "CHUNKING"]])
    func allRefusedNoDataThenReset(hiding keywords: Set<String>) {
        let (harness, _) = Self.run(hiding: keywords, first: ["bad@example.net"])
        #expect(Array(harness.writes.prefix(5)) == [
            "EHLO tern.example\r\n",
            "MAIL FROM:<alice@example.com> SIZE=\(Self.text1.utf8.count)\r\n",
            "RCPT TO:<bad@example.net>\r\n",
            "RSET\r\n",
            "MAIL FROM:<alice@example.com> SIZE=\(Self.text2.utf8.count)\r\n",
        ])
        #expect(harness.results.map(Self.outcomes) == [["failed 550 5.1.1"], ["delivered 250 2.0.0"]])
    }

    @Test func overTheDeclaredSizeIsNotSent() {
        let small = ServerSessionConfiguration(hostname: "mx.example.com", messageSizeLimit: 30)
        let (harness, server) = Self.run(hiding: [], server: small)
        #expect(harness.results.map(Self.outcomes) == [["failed 552 5.3.4", "failed 552 5.3.4"], ["delivered 250 2.0.0"]])
        #expect(harness.results[0].recipients[0].outcome.reply == .tooBigForPeer(30))
        #expect(!harness.writes.contains { $0.contains("SIZE=\(Self.text1.utf8.count)") })
        #expect(server.committed.count == 1)
    }

    @Test(arguments: [Set(["SIZE"]), ["SIZE", "CHUNKING"]])
    func peerRefusesTheSizeAtTheEnd(hiding keywords: Set<String>) {
        let small = ServerSessionConfiguration(hostname: "mx.example.com", messageSizeLimit: 30)
        let (harness, server) = Self.run(hiding: keywords, server: small)
        #expect(harness.results.map(Self.outcomes) == [["failed 552 5.3.4", "failed 552 5.3.4"], ["delivered 250 2.0.0"]])
        #expect(harness.results[0].recipients[0].outcome.reply.lines == ["Requested mail action aborted: exceeded storage allocation"])
        #expect(server.committed.count == 1)
    }

    @Test func eightBitWithout8BITMIMEFails() {
        var harness = ClientHarness(Self.clientConfiguration)
        harness.hiddenKeywords = ["8BITMIME"]
        _ = harness.send(Self.message("m1", to: ["bob@example.net"], text: "caf\u{E9}\r\n", needs8bit: true), text: "caf\u{E9}\r\n")
        _ = harness.send(Self.message("m2", to: ["bob@example.net"], text: Self.text2), text: Self.text2)
        _ = harness.quit()
        var server = SessionDriver(Self.serverConfiguration)
        harness.pump(&server)
        #expect(harness.results.map(Self.outcomes) == [["failed 554 5.6.3"], ["delivered 250 2.0.0"]])
        #expect(server.committed.count == 1)
    }

    @Test func eightBitAndUTF8ParametersWhenOffered() {
        var harness = ClientHarness(Self.clientConfiguration)
        harness.hiddenKeywords = ["CHUNKING"]
        let text = "Subject: caf\u{E9}\r\n\r\nx\r\n"
        var message = OutboundMessage(id: "m1", sender: .mailbox(Self.mailbox("j\u{F6}rg@example.com")),
                                      recipients: [OutboundRecipient(path: .mailbox(Self.mailbox("bob@example.net")))],
                                      size: text.utf8.count, needs8bit: true)
        message.parameters.ret = .full
        _ = harness.send(message, text: text)
        _ = harness.quit()
        var server = SessionDriver(Self.serverConfiguration)
        harness.pump(&server)
        #expect(harness.writes[1].hasPrefix("MAIL FROM:<j\u{F6}rg@example.com> SIZE=\(text.utf8.count) BODY=8BITMIME SMTPUTF8 RET=FULL\r\n"))
        #expect(harness.results.map(Self.outcomes) == [["delivered 250 2.0.0"]])
        #expect(server.committed.first?.summary.protocolName == "UTF8SMTP")
    }

    @Test func messagesHandedOverWhileIdle() {
        var harness = ClientHarness(Self.clientConfiguration)
        var server = SessionDriver(Self.serverConfiguration)
        harness.pump(&server)
        #expect(harness.writes == ["EHLO tern.example\r\n"])
        #expect(harness.client.peerCapabilities?.chunking == true)
        let group = harness.send(Self.message("m1", to: ["bob@example.net"], text: Self.text2), text: Self.text2)
        #expect(!group.isEmpty)
        harness.pump(&server, start: group)
        #expect(harness.results.count == 1)
        harness.pump(&server, start: harness.quit())
        #expect(harness.closed && server.closed && !harness.client.isOpen)
        let late = harness.send(Self.message("m2", to: ["bob@example.net"], text: Self.text2), text: Self.text2)
        #expect(late.isEmpty)
        #expect(harness.results.last.map(Self.outcomes) == ["deferred 421 4.4.2"])
    }

    @Test func startTLSWhenOffered() {
        var harness = ClientHarness(ClientSessionConfiguration(hostname: "tern.example", requireTLS: true, tlsAvailable: true))
        _ = harness.send(Self.message("m1", to: ["bob@example.net"], text: Self.text2), text: Self.text2)
        _ = harness.quit()
        var server = SessionDriver(ServerSessionConfiguration(hostname: "mx.example.com", tlsAvailable: true))
        harness.pump(&server)
        #expect(Array(harness.writes.prefix(3)) == ["EHLO tern.example\r\n", "STARTTLS\r\n", "EHLO tern.example\r\n"])
        #expect(harness.tlsStarts == 1 && server.tlsStarts == 1 && harness.client.isTLSActive)
        #expect(harness.results.map(Self.outcomes) == [["delivered 250 2.0.0"]])
        #expect(server.committed.first?.summary.protocolName == "ESMTPS")
    }

    @Test func requiredTLSNotOfferedDefers() {
        var harness = ClientHarness(ClientSessionConfiguration(hostname: "tern.example", requireTLS: true, tlsAvailable: true))
        _ = harness.send(Self.message("m1", to: ["bob@example.net", "carol@example.net"], text: Self.text2), text: Self.text2)
        var server = SessionDriver(Self.serverConfiguration)
        harness.pump(&server)
        #expect(harness.writes == ["EHLO tern.example\r\n", "QUIT\r\n"])
        #expect(harness.results.map(Self.outcomes) == [["deferred 454 4.7.4", "deferred 454 4.7.4"]])
        #expect(harness.results[0].recipients[0].outcome.reply == .tlsNotOffered)
        #expect(harness.results[0].needsRetry)
        #expect(harness.closed && server.closed && server.committed.isEmpty)
    }
}
