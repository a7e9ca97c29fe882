import NIOCore
import Testing
import TernSMTPCore

/// A `ClientSession` against hand-written peers: each step is what the peer says and what the
/// client must write in answer.
@Suite struct ClientSessionTranscriptTests {
    typealias Step = (peer: String, client: String)

    static let configuration = ClientSessionConfiguration(hostname: "tern.example")
    static let text = "Subject: hi\r\n\r\n.x\r\n"
    static let stuffed = "Subject: hi\r\n\r\n..x\r\n.\r\n"

    static func play(_ harness: inout ClientHarness, _ steps: [Step], sourceLocation: SourceLocation = #_sourceLocation) {
        for step in steps {
            let written = String(decoding: harness.deliver(step.peer), as: UTF8.self)
            #expect(written == step.client, "after \(step.peer.debugDescription)", sourceLocation: sourceLocation)
        }
    }

    static func message(_ id: String, to recipients: [String], needsSMTPUTF8: Bool = false) -> OutboundMessage {
        var message = ClientSessionTests.message(id, to: recipients, text: text)
        message.needsSMTPUTF8 = needsSMTPUTF8
        message.parameters = MailParameters(ret: .headers, envelopeID: "E1")
        return message
    }

    static func harness(_ messages: [OutboundMessage], _ configuration: ClientSessionConfiguration = configuration) -> ClientHarness {
        var harness = ClientHarness(configuration)
        for message in messages { #expect(harness.send(message, text: text).isEmpty) }
        #expect(harness.quit().isEmpty)
        return harness
    }

    @Test func authPlainAfterSTARTTLS() {
        var configuration = Self.configuration
        configuration.tlsAvailable = true
        configuration.credentials = ClientCredentials(username: "bob", password: "secret")
        var h = Self.harness([Self.message("m1", to: ["carol@example.net"])], configuration)
        Self.play(&h, [
            ("220 smarthost.example ESMTP\r\n", "EHLO tern.example\r\n"),
            ("250-smarthost.example\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n", "STARTTLS\r\n"),
            ("220 2.0.0 go ahead\r\n", "EHLO tern.example\r\n"),
            ("250-smarthost.example\r\n250 AUTH PLAIN LOGIN\r\n", "AUTH PLAIN AGJvYgBzZWNyZXQ=\r\n"),
            ("235 2.7.0 Authentication successful\r\n", "MAIL FROM:<alice@example.com>\r\n"),
            ("250 OK\r\n", "RCPT TO:<carol@example.net>\r\n"),
        ])
        #expect(h.tlsStarts == 1 && h.client.isTLSActive)
    }

    @Test(arguments: [
        // No TLS: the password is not sent.
        ("250-relay.example\r\n250 AUTH PLAIN\r\n", false, Reply.authNeedsTLS),
        // No AUTH PLAIN offered.
        ("250-relay.example\r\n250 AUTH CRAM-MD5\r\n", true, .authNotOffered(["PLAIN"])),
    ])
    func authCannotStartSoEveryRecipientIsDeferred(_ ehlo: String, _ inClear: Bool, _ reply: Reply) {
        var configuration = Self.configuration
        configuration.credentials = ClientCredentials(username: "bob", password: "secret", allowInClearText: inClear)
        var h = Self.harness([Self.message("m1", to: ["carol@example.net"])], configuration)
        Self.play(&h, [
            ("220 relay.example ESMTP\r\n", "EHLO tern.example\r\n"),
            (ehlo, "QUIT\r\n"),
        ])
        #expect(h.results.map(ClientSessionTests.outcomes) == [["deferred 454 4.7.0"]])
        #expect(h.results[0].recipients[0].outcome.reply == reply)
    }

    @Test(arguments: ["250 2.7.0 OK\r\n", "334 \r\n"])
    func onlyA235EndsAUTH(_ reply: String) {
        // RFC 4954 §6: 235 is the success reply. Another 2yz answers no command of AUTH's, and
        // PLAIN expects no challenge: the client cancels with `*` and believes no success.
        var configuration = Self.configuration
        configuration.credentials = ClientCredentials(username: "bob", password: "secret", allowInClearText: true)
        var h = Self.harness([Self.message("m1", to: ["carol@example.net"])], configuration)
        if reply.hasPrefix("250") {
            Self.play(&h, [
                ("220 relay.example ESMTP\r\n", "EHLO tern.example\r\n"),
                ("250-relay.example\r\n250 AUTH PLAIN\r\n", "AUTH PLAIN AGJvYgBzZWNyZXQ=\r\n"),
                (reply, ""),
            ])
            #expect(h.results.map(ClientSessionTests.outcomes) == [["deferred 421 4.5.0"]])
        } else {
            Self.play(&h, [
                ("220 relay.example ESMTP\r\n", "EHLO tern.example\r\n"),
                ("250-relay.example\r\n250 AUTH PLAIN\r\n", "AUTH PLAIN AGJvYgBzZWNyZXQ=\r\n"),
                (reply, "*\r\n"),
                ("235 2.7.0 Authentication successful\r\n", "QUIT\r\n"),
            ])
            #expect(h.results.map(ClientSessionTests.outcomes) == [["deferred 454 4.7.0"]])
            #expect(h.results[0].recipients[0].outcome.reply == .authPeerNotVerified)
        }
    }

    @Test func refusedCredentialsDeferEveryRecipient() {
        var configuration = Self.configuration
        configuration.credentials = ClientCredentials(username: "bob", password: "wrong", allowInClearText: true)
        var h = Self.harness([Self.message("m1", to: ["carol@example.net"])], configuration)
        Self.play(&h, [
            ("220 relay.example ESMTP\r\n", "EHLO tern.example\r\n"),
            ("250-relay.example\r\n250 AUTH PLAIN\r\n", "AUTH PLAIN AGJvYgB3cm9uZw==\r\n"),
            ("535 5.7.8 Authentication credentials invalid\r\n", "QUIT\r\n"),
        ])
        #expect(h.results.map(ClientSessionTests.outcomes) == [["deferred 535 5.7.8"]])
        #expect(!"\(configuration.credentials!)".contains("wrong"))
    }

    @Test func heloFallback() {
        var h = Self.harness([Self.message("m1", to: ["bob@example.net"])])
        Self.play(&h, [
            ("220 old.example SMTP\r\n", "EHLO tern.example\r\n"),
            ("502 5.5.1 Command not implemented\r\n", "HELO tern.example\r\n"),
            ("250 old.example\r\n", "MAIL FROM:<alice@example.com>\r\n"),
            ("250 OK\r\n", "RCPT TO:<bob@example.net>\r\n"),
            ("250 OK\r\n", "DATA\r\n"),
            ("354 go ahead\r\n", Self.stuffed),
            ("250 queued\r\n", "QUIT\r\n"),
            ("221 bye\r\n", ""),
        ])
        #expect(h.closed)
        #expect(h.results.map(ClientSessionTests.outcomes) == [["delivered 250"]])
        #expect(h.client.peerCapabilities == nil)
    }

    @Test func smtpUTF8RequiredButNotOffered() {
        let international = OutboundMessage(
            id: "m2", sender: .null,
            recipients: [OutboundRecipient(path: .mailbox(Mailbox(localPart: "b\u{F8}b", domain: .name("example.net"))))],
            size: Self.text.utf8.count)
        var h = Self.harness([Self.message("m1", to: ["bob@example.net"], needsSMTPUTF8: true), international,
                              Self.message("m3", to: ["carol@example.net"])])
        Self.play(&h, [
            ("220 mx.example.net ESMTP\r\n", "EHLO tern.example\r\n"),
            ("250-mx.example.net\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-DSN\r\n250 SIZE 1000000\r\n",
             "MAIL FROM:<alice@example.com> SIZE=\(Self.text.utf8.count) RET=HDRS ENVID=E1\r\nRCPT TO:<carol@example.net>\r\nDATA\r\n"),
            ("250 2.1.0 OK\r\n250 2.1.5 OK\r\n354 go\r\n", Self.stuffed),
            ("250 2.0.0 OK\r\n", "QUIT\r\n"),
            ("221 2.0.0 bye\r\n", ""),
        ])
        #expect(h.results.map(\.messageID) == ["m1", "m2", "m3"])
        #expect(h.results.map(ClientSessionTests.outcomes) == [["failed 550 5.6.7"], ["failed 550 5.6.7"], ["delivered 250 2.0.0"]])
        #expect(h.results[0].recipients[0].outcome.reply == .smtpUTF8NotOffered)
    }

    @Test func lmtpRepliesPerRecipient() {
        let lmtp = ClientSessionConfiguration(hostname: "tern.example", lmtp: true)
        var h = Self.harness([Self.message("m1", to: ["a@example.net", "b@example.net", "c@example.net", "d@example.net"])], lmtp)
        Self.play(&h, [
            ("220 dovecot LMTP ready\r\n", "LHLO tern.example\r\n"),
            ("250-dovecot\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n",
             "MAIL FROM:<alice@example.com>\r\nRCPT TO:<a@example.net>\r\nRCPT TO:<b@example.net>\r\n"
                + "RCPT TO:<c@example.net>\r\nRCPT TO:<d@example.net>\r\nDATA\r\n"),
            ("250 2.1.0 OK\r\n250 2.1.5 OK\r\n550 5.1.1 <b@example.net> User doesn't exist\r\n250 2.1.5 OK\r\n250 2.1.5 OK\r\n354 OK\r\n",
             Self.stuffed),
            ("250 2.0.0 <a@example.net> Saved\r\n452 4.2.2 <c@example.net> Mailbox full\r\n", ""),
            ("552 5.2.2 <d@example.net> Quota exceeded\r\n", "QUIT\r\n"),
            ("221 2.0.0 bye\r\n", ""),
        ])
        #expect(h.results.map(ClientSessionTests.outcomes)
            == [["delivered 250 2.0.0", "failed 550 5.1.1", "deferred 452 4.2.2", "failed 552 5.2.2"]])
        #expect(h.results[0].recipients[2].outcome.reply.lines == ["<c@example.net> Mailbox full"])
    }

    @Test func lmtpHasNoHeloFallback() {
        var h = Self.harness([Self.message("m1", to: ["a@example.net"])], ClientSessionConfiguration(hostname: "tern.example", lmtp: true))
        Self.play(&h, [
            ("220 lmtp ready\r\n", "LHLO tern.example\r\n"),
            ("500 5.5.1 What?\r\n", "QUIT\r\n"),
            ("221 bye\r\n", ""),
        ])
        #expect(h.results.map(ClientSessionTests.outcomes) == [["deferred 500 5.5.1"]])
        #expect(h.closed)
    }

    @Test func serviceClosingMidTransaction() {
        var h = Self.harness([Self.message("m1", to: ["bad@example.net", "bob@example.net"]), Self.message("m2", to: ["carol@example.net"])])
        Self.play(&h, [
            ("220 mx ESMTP\r\n", "EHLO tern.example\r\n"),
            ("250-mx\r\n250 PIPELINING\r\n",
             "MAIL FROM:<alice@example.com>\r\nRCPT TO:<bad@example.net>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n"),
            ("250 OK\r\n550 5.1.1 unknown\r\n250 OK\r\n354 go\r\n", Self.stuffed),
            ("421 4.3.2 Shutting down\r\n", ""),
            ("250 too late\r\n", ""),
        ])
        #expect(h.closed && !h.client.isOpen)
        #expect(h.results.map(ClientSessionTests.outcomes) == [["failed 550 5.1.1", "deferred 421 4.3.2"], ["deferred 421 4.3.2"]])
        #expect(h.results[1].needsRetry)
        #expect(!h.writes.contains("QUIT\r\n"))
    }

    @Test(arguments: [
        ("554 5.7.1 No service for you\r\n", "QUIT\r\n", "deferred 554 5.7.1"),
        ("421 4.3.2 Busy\r\n", "", "deferred 421 4.3.2"),
        ("451 Try later\r\n", "QUIT\r\n", "deferred 451"),
        ("250 not a greeting\r\n", "", "deferred 421 4.5.0"),
    ])
    func greetingOtherThan220(_ greeting: String, _ written: String, _ outcome: String) {
        var h = Self.harness([Self.message("m1", to: ["bob@example.net"]), Self.message("m2", to: ["carol@example.net"])])
        Self.play(&h, [(greeting, written)])
        #expect(h.results.map(ClientSessionTests.outcomes) == [[outcome], [outcome]])
        #expect(h.closed == written.isEmpty)
        if !written.isEmpty {
            Self.play(&h, [("221 bye\r\n", "")])
            #expect(h.closed)
        }
    }

    /// A refused MAIL decides the message; the next one starts with RSET (docs/behaviour.md §15).
    @Test func mailRefusedDecidesEveryRecipient() {
        var h = Self.harness([Self.message("m1", to: ["a@example.net", "b@example.net"]), Self.message("m2", to: ["c@example.net"])])
        Self.play(&h, [
            ("220 mx\r\n", "EHLO tern.example\r\n"),
            ("250-mx\r\n250 PIPELINING\r\n",
             "MAIL FROM:<alice@example.com>\r\nRCPT TO:<a@example.net>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n"),
            ("451 4.3.0 Sender check failed\r\n", ""),
            ("503 5.5.1 need MAIL\r\n503 5.5.1 need MAIL\r\n", ""),
            ("503 5.5.1 need MAIL\r\n",
             "RSET\r\nMAIL FROM:<alice@example.com>\r\nRCPT TO:<c@example.net>\r\nDATA\r\n"),
            ("250 2.0.0 OK\r\n550 5.7.1 Sender refused\r\n503 5.5.1 need MAIL\r\n503 5.5.1 need MAIL\r\n", "QUIT\r\n"),
        ])
        #expect(h.results.map(ClientSessionTests.outcomes) == [["deferred 451 4.3.0", "deferred 451 4.3.0"], ["failed 550 5.7.1"]])
    }

    /// RFC 2920 §3.1: a DATA accepted though every RCPT failed gets a lone dot.
    @Test func dataAcceptedWithoutRecipientsGetsADot() {
        var h = Self.harness([Self.message("m1", to: ["a@example.net"]), Self.message("m2", to: ["b@example.net"])])
        Self.play(&h, [
            ("220 mx\r\n", "EHLO tern.example\r\n"),
            ("250-mx\r\n250 PIPELINING\r\n", "MAIL FROM:<alice@example.com>\r\nRCPT TO:<a@example.net>\r\nDATA\r\n"),
            ("250 OK\r\n550 no\r\n", ""),
            ("354 go\r\n", ".\r\n"),
            ("554 no valid recipients\r\n", "RSET\r\nMAIL FROM:<alice@example.com>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n"),
            ("250 reset\r\n250 OK\r\n250 OK\r\n554 5.3.0 DATA refused\r\n",
             "QUIT\r\n"),
        ])
        #expect(h.results.map(ClientSessionTests.outcomes) == [["failed 550"], ["failed 554 5.3.0"]])
    }

    @Test func chunkRefusedThenReset() {
        var h = Self.harness([Self.message("m1", to: ["a@example.net"]), Self.message("m2", to: ["b@example.net"])])
        Self.play(&h, [
            ("220 mx\r\n", "EHLO tern.example\r\n"),
            ("250-mx\r\n250 CHUNKING\r\n", "MAIL FROM:<alice@example.com>\r\n"),
            ("250 OK\r\n", "RCPT TO:<a@example.net>\r\n"),
            ("250 OK\r\n", "BDAT \(Self.text.utf8.count) LAST\r\n" + Self.text),
            ("554 5.6.0 bad content\r\n", "RSET\r\n"),
            ("250 OK\r\n", "MAIL FROM:<alice@example.com>\r\n"),
            ("250 OK\r\n", "RCPT TO:<b@example.net>\r\n"),
            ("250 OK\r\n", "BDAT \(Self.text.utf8.count) LAST\r\n" + Self.text),
            ("250 2.0.0 OK\r\n", "QUIT\r\n"),
        ])
        #expect(h.results.map(ClientSessionTests.outcomes) == [["failed 554 5.6.0"], ["delivered 250 2.0.0"]])
    }

    @Test func startTLSRefused() {
        let opportunistic = ClientSessionConfiguration(hostname: "tern.example", tlsAvailable: true)
        var h = Self.harness([Self.message("m1", to: ["a@example.net"])], opportunistic)
        Self.play(&h, [
            ("220 mx\r\n", "EHLO tern.example\r\n"),
            ("250-mx\r\n250 STARTTLS\r\n", "STARTTLS\r\n"),
            ("454 4.7.0 TLS not available\r\n", "MAIL FROM:<alice@example.com>\r\n"),
        ])
        #expect(!h.client.isTLSActive && h.tlsStarts == 0)

        let strict = ClientSessionConfiguration(hostname: "tern.example", requireTLS: true, tlsAvailable: true)
        var s = Self.harness([Self.message("m1", to: ["a@example.net"])], strict)
        Self.play(&s, [
            ("220 mx\r\n", "EHLO tern.example\r\n"),
            ("250-mx\r\n250 STARTTLS\r\n", "STARTTLS\r\n"),
            ("454 4.7.0 TLS not available\r\n", "QUIT\r\n"),
        ])
        #expect(s.results.map(ClientSessionTests.outcomes) == [["deferred 454 4.7.4"]])
        #expect(s.results[0].recipients[0].outcome.reply == .startTLSRefused(454))
    }

    /// Octets that arrive between the 220 to STARTTLS and the handshake are not trusted.
    @Test func replyDuringTLSHandshakeIsUnexpected() {
        var session = ClientSession(configuration: ClientSessionConfiguration(hostname: "tern.example", tlsAvailable: true))
        _ = session.received(Reply(220, nil, "mx"))
        _ = session.received(Reply(250, nil, ["mx", "STARTTLS"]))
        #expect(session.received(Reply(220, nil, "go")) == [.startTLS])
        #expect(session.received(Reply(250, nil, "injected")) == [.close])
        #expect(!session.isOpen)
    }

    @Test(arguments: [
        (ConnectionFailure.connectionLost, Reply.connectionLost),
        (.connectFailed, .connectFailed),
        (.timedOut, .timedOut),
        (.malformedReply, .malformedReply),
        (.tlsHandshakeFailed, .tlsHandshakeFailed),
    ])
    func connectionFailures(_ failure: ConnectionFailure, _ reply: Reply) {
        var h = Self.harness([Self.message("m1", to: ["a@example.net", "b@example.net"])])
        Self.play(&h, [
            ("220 mx\r\n", "EHLO tern.example\r\n"),
            ("250-mx\r\n250 PIPELINING\r\n", "MAIL FROM:<alice@example.com>\r\nRCPT TO:<a@example.net>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n"),
            ("250 OK\r\n550 5.1.1 no\r\n", ""),
        ])
        var session = h.client
        let actions = session.failed(failure)
        #expect(actions.count == 2 && actions.last == .close)
        guard case .messageResult(let result) = actions.first else { Issue.record("no result"); return }
        #expect(result.recipients.map(\.outcome) == [.failed(Reply(550, EnhancedStatusCode(5, 1, 1), "no")), .deferred(reply)])
        #expect(session.failed(.connectionLost).isEmpty)
    }

    @Test func malformedReplyDefers() {
        var h = Self.harness([Self.message("m1", to: ["a@example.net"])])
        Self.play(&h, [("220 mx\r\n", "EHLO tern.example\r\n"), ("2x0 junk\r\n", "")])
        #expect(h.results.map(ClientSessionTests.outcomes) == [["deferred 421 4.5.0"]])
        #expect(h.results[0].recipients[0].outcome.reply == .malformedReply)
        #expect(h.closed)
    }

    @Test(arguments: [
        ("354 what\r\n", "deferred 421 4.5.0"),
        ("250 OK\r\n354 early\r\n", "deferred 421 4.5.0"),
    ])
    func unexpectedReplyDefersAndCloses(_ replies: String, _ outcome: String) {
        var h = Self.harness([Self.message("m1", to: ["a@example.net"])])
        Self.play(&h, [
            ("220 mx\r\n", "EHLO tern.example\r\n"),
            ("250 mx\r\n", "MAIL FROM:<alice@example.com>\r\n"),
        ])
        _ = h.deliver(replies)
        #expect(h.results.map(ClientSessionTests.outcomes) == [[outcome]])
        #expect(h.closed && !h.writes.contains("QUIT\r\n"))
    }

    @Test func replyWhileIdleIsUnexpected() {
        var session = ClientSession(configuration: Self.configuration)
        #expect(session.received(Reply(220, nil, "mx")).count == 1)
        #expect(session.received(Reply(250, nil, "mx")).isEmpty)
        #expect(session.received(Reply(250, nil, "stray")) == [.close])
        let late = session.send(Self.message("m1", to: ["a@example.net"]))
        guard case .messageResult(let result) = late.first else { Issue.record("no result"); return }
        #expect(result.recipients.map(\.outcome) == [.deferred(.sessionClosed)])
    }

    @Test func quitWithNothingToSend() {
        var h = Self.harness([])
        Self.play(&h, [
            ("220 mx\r\n", "EHLO tern.example\r\n"),
            ("250 mx\r\n", "QUIT\r\n"),
            ("221 bye\r\n", ""),
        ])
        #expect(h.closed && h.results.isEmpty)
        #expect(h.client.quit().isEmpty && h.client.failed(.connectionLost).isEmpty)
    }

    /// RFC 1845: TRANSID only to a CHECKPOINT peer; after `355 <offset>` DATA sends the stuffed
    /// stream from the offset.
    @Test func resumesWhereThePeerStopped() {
        var message = Self.message("m1", to: ["carol@example.net"])
        message.parameters.transactionID = "<Q1.0@tern.example>"
        var plain = Self.harness([message])
        Self.play(&plain, [
            ("220 mx\r\n", "EHLO tern.example\r\n"),
            ("250-mx\r\n250 DSN\r\n", "MAIL FROM:<alice@example.com> RET=HDRS ENVID=E1\r\n"),
        ])
        var data = Self.harness([message])
        Self.play(&data, [
            ("220 mx\r\n", "EHLO tern.example\r\n"),
            ("250-mx\r\n250 CHECKPOINT\r\n", "MAIL FROM:<alice@example.com> TRANSID=<Q1.0@tern.example>\r\n"),
            ("355 15 is the transaction offset\r\n", "RCPT TO:<carol@example.net>\r\n"),
            ("250 OK\r\n", "DATA\r\n"),
            ("354 go on\r\n", String(decoding: Array(Self.stuffed.utf8).dropFirst(15), as: UTF8.self)),
            ("250 2.0.0 queued\r\n", "QUIT\r\n"),
        ])
        #expect(data.results.map(ClientSessionTests.outcomes) == [["delivered 250 2.0.0"]])
        // With CHUNKING too, a checkpointed message goes by DATA; a completed one is just the ".".
        var completed = Self.harness([message])
        Self.play(&completed, [
            ("220 mx\r\n", "EHLO tern.example\r\n"),
            ("250-mx\r\n250-CHUNKING\r\n250 CHECKPOINT\r\n", "MAIL FROM:<alice@example.com> TRANSID=<Q1.0@tern.example>\r\n"),
            ("355 \(Self.stuffed.utf8.count - 3) is the transaction offset\r\n", "RCPT TO:<carol@example.net>\r\n"),
            ("250 OK\r\n", "DATA\r\n"),
            ("354 go on\r\n", ".\r\n"),
            ("250 2.0.0 already accepted as Q9\r\n", "QUIT\r\n"),
        ])
        #expect(completed.results.map(ClientSessionTests.outcomes) == [["delivered 250 2.0.0"]])
    }
}
