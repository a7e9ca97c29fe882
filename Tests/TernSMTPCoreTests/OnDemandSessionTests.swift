import Testing
import TernSMTPCore
import TernTestSupport

/// ETRN on `mx` and the `odmr` listener with ATRN, in memory (docs/behaviour.md §14, §15).
@Suite struct OnDemandSessionTests {
    static let odmr = ServerSessionConfiguration(
        hostname: "mx.example.com", role: .odmr, tlsAvailable: true,
        authMechanisms: ["SCRAM-SHA-256", "PLAIN", "LOGIN", "CRAM-MD5"])

    static func codes(_ driver: inout SessionDriver, _ input: String) -> [String] {
        ServerSessionTests.codes(&driver, input)
    }

    @Test func ehloOnMXAdvertisesETRN() {
        var d = ServerSessionTests.driver()
        d.feed("EHLO c\r\n")
        #expect(d.take().contains("250-DSN\r\n250-ETRN\r\n250 HELP\r\n"))
    }

    @Test func etrnOrderOfChecks() {
        var d = ServerSessionTests.driver()
        #expect(Self.codes(&d, "ETRN node.example.net\r\n") == ["503 5.5.1"])
        #expect(Self.codes(&d, "HELO c\r\nMAIL FROM:<a@b.example>\r\nETRN node.example.net\r\nRSET\r\n")
            == ["250", "250 2.1.0", "503 5.5.1", "250 2.0.0"])
        #expect(Self.codes(&d, "ETRN\r\nETRN a b\r\nETRN @\r\nETRN #a..b\r\nETRN [192.0.2.1]\r\n")
            == ["501 5.5.4", "501 5.5.4", "501 5.5.4", "501 5.5.4", "501 5.5.4"])
        var asked: [ETRNRequest] = []
        d.answer = { question in
            if case .etrn(let request) = question { asked.append(request) }
            return SessionDriver.acceptAll(question)
        }
        d.feed("ETRN node.example.net\r\nETRN @Example.NET\r\nETRN #node.example.net\r\n")
        #expect(d.take() == """
            253 2.0.0 OK, 1 pending messages for node node.example.net started\r
            253 2.0.0 OK, 1 pending messages for node Example.NET started\r
            253 2.0.0 OK, 1 pending messages for node node.example.net started\r

            """)
        #expect(asked == [
            ETRNRequest(node: .name("node.example.net"), scope: .node),
            ETRNRequest(node: .name("Example.NET"), scope: .subdomains),
            ETRNRequest(node: .name("node.example.net"), scope: .queue),
        ])
    }

    @Test func etrnAndATRNOffTheirListeners() {
        var submission = SessionDriver(ServerSessionConfiguration(hostname: "h", role: .smtps, tlsAvailable: true))
        _ = submission.take()
        #expect(Self.codes(&submission, "EHLO c\r\nETRN node.example.net\r\nATRN\r\n") == ["250", "502 5.5.1", "502 5.5.1"])
        var mx = ServerSessionTests.driver()
        mx.feed("EHLO c\r\nATRN node.example.net\r\n")
        #expect(mx.take().hasSuffix("502 5.5.1 Command not implemented on this listener\r\n"))
    }

    @Test func odmrGreetingKeywordsAndVerbs() {
        var d = SessionDriver(Self.odmr)
        #expect(d.take() == "220 mx.example.com on-demand mail relay service ready\r\n")
        d.feed("EHLO customer.example.net\r\n")
        #expect(d.take() == """
            250-mx.example.com Hello customer.example.net\r
            250-AUTH CRAM-MD5 SCRAM-SHA-256\r
            250-ATRN\r
            250-ENHANCEDSTATUSCODES\r
            250 STARTTLS\r

            """)
        d.feed("MAIL FROM:<a@b.example>\r\nVRFY x\r\nETRN n.example\r\nHELP\r\nDATA\r\n")
        #expect(d.take() == String(repeating: "502 5.5.1 Command not implemented on the on-demand relay service\r\n", count: 5))
        #expect(Self.codes(&d, "NOOP\r\nRSET\r\n") == ["250 2.0.0", "250 2.0.0"])
        #expect(Self.codes(&d, "AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n") == ["538 5.7.11"])
    }

    @Test func odmrInsideTLSOffersPasswordMechanisms() {
        var d = SessionDriver(Self.odmr)
        _ = d.take()
        d.feed("STARTTLS\r\n")
        _ = d.take()
        d.feed("EHLO c\r\n")
        #expect(d.take() == """
            250-mx.example.com Hello c\r
            250-AUTH CRAM-MD5 SCRAM-SHA-256 PLAIN LOGIN\r
            250-ATRN\r
            250 ENHANCEDSTATUSCODES\r

            """)
    }

    @Test func atrnOrderOfChecksAndTurn() {
        var d = SessionDriver(Self.odmr)
        _ = d.take()
        #expect(Self.codes(&d, "EHLO c\r\nATRN node.example.net\r\n") == ["250", "530 5.7.0"])
        d.authenticationSteps = [.challenge([1]), .success(account: "carol")]
        #expect(Self.codes(&d, "AUTH CRAM-MD5\r\nAQ==\r\n") == ["334", "235 2.7.0"])
        #expect(Self.codes(&d, "ATRN a.example,,b.example\r\nATRN a b\r\n") == ["501 5.5.4", "501 5.5.4"])
        var asked: [ATRNRequest] = []
        d.answer = { question in
            guard case .atrn(let request, let account) = question, account == "carol" else { return .localError }
            asked.append(request)
            return asked.count == 1 ? .youHaveNoMail : .reversingConnection
        }
        #expect(Self.codes(&d, "ATRN\r\n") == ["453 4.2.0"])
        d.feed("ATRN A.example.net, b.example.net\r\n220 customer ready\r\n")
        #expect(d.take() == "250 2.0.0 OK now reversing the connection\r\n")
        #expect(asked == [.allOwned, .domains([.name("A.example.net"), .name("b.example.net")])])
        #expect(d.closed)
        #expect(d.reversed.map { String(decoding: $0, as: UTF8.self) } == "220 customer ready\r\n")
    }
}
