import Testing
import TernSMTPCore
import TernTestSupport

@Suite struct ServerSessionTests {
    static let configuration = ServerSessionConfiguration(
        hostname: "mx.example.com", messageSizeLimit: 1_048_576, recipientLimit: 50, badCommandLimit: 20)

    static func driver(_ configuration: ServerSessionConfiguration = configuration) -> SessionDriver {
        var driver = SessionDriver(configuration)
        #expect(driver.take() == "220 mx.example.com ESMTP service ready\r\n")
        return driver
    }

    /// Sends lines and returns the reply codes with their enhanced codes, e.g. "250 2.1.0".
    static func codes(_ driver: inout SessionDriver, _ input: String) -> [String] {
        driver.feed(input)
        return driver.take().split(separator: "\r\n").filter { $0.dropFirst(3).first == " " }.map {
            let words = $0.split(separator: " ")
            return words.count > 1 && words[1].first?.isNumber == true && words[1].contains(".")
                ? "\(words[0]) \(words[1])" : String(words[0])
        }
    }

    @Test func ehloAdvertisesWhatWorks() {
        var d = Self.driver()
        d.feed("EHLO client.example.net\r\n")
        #expect(d.take() == """
            250-mx.example.com Hello client.example.net\r
            250-PIPELINING\r
            250-SIZE 1048576\r
            250-8BITMIME\r
            250-SMTPUTF8\r
            250-ENHANCEDSTATUSCODES\r
            250-CHUNKING\r
            250-DSN\r
            250-ETRN\r
            250 HELP\r

            """)
    }

    @Test func orderOfChecks() {
        var d = Self.driver()
        #expect(Self.codes(&d, "\r\n") == ["500 5.5.2"])
        #expect(Self.codes(&d, "TURN\r\nEXPN staff\r\nSEND FROM:<a@b>\r\n") == ["502 5.5.1", "502 5.5.1", "502 5.5.1"])
        d.feed("FOOBAR baz\r\n")
        #expect(d.take() == "500 5.5.1 Command not recognized: FOOBAR\r\n")
        #expect(Self.codes(&d, "MAIL FROM:<a@b>\r\nRCPT TO:<a@b>\r\nDATA\r\n") == ["503 5.5.1", "503 5.5.1", "503 5.5.1"])
        #expect(Self.codes(&d, "QUIT please\r\nRSET now\r\nDATA now\r\nNOOP x\r\n")
            == ["501 5.5.4", "501 5.5.4", "501 5.5.4", "250 2.0.0"])
    }

    @Test func pipelinedTransaction() {
        var d = Self.driver()
        let codes = Self.codes(&d, """
            EHLO c\r
            MAIL FROM:<a@example.com>\r
            RCPT TO:<b@example.com>\r
            RCPT TO:<>\r
            RCPT TO:<a@@b>\r
            DATA\r
            Subject: hi\r
            \r
            ..dot\r
            .\r
            QUIT\r

            """)
        #expect(codes == ["250", "250 2.1.0", "250 2.1.5", "553 5.1.3", "553 5.1.3", "354", "250 2.0.0", "221 2.0.0"])
        #expect(d.committed.count == 1)
        #expect(d.committed[0].text == Array("Subject: hi\r\n\r\n.dot\r\n".utf8))
        #expect(d.committed[0].summary.protocolName == "ESMTP")
        #expect(d.closed)
    }

    @Test func mailOrder() {
        var d = Self.driver()
        _ = Self.codes(&d, "HELO c\r\n")
        #expect(Self.codes(&d, "MAIL FROM:<a@@b> SIZE=1048577\r\n") == ["553 5.1.7"])
        #expect(Self.codes(&d, "MAIL FROM:<a@b> SIZE=1048577\r\n") == ["552 5.3.4"])
        #expect(Self.codes(&d, "MAIL FROM:<jöran@example.com>\r\n") == ["553 5.6.7"])
        #expect(Self.codes(&d, "MAIL FROM:<a@b> FOO=BAR\r\n") == ["555 5.5.4"])
        #expect(Self.codes(&d, "MAIL FROM:<a@b>\r\nMAIL FROM:<a@b>\r\n") == ["250 2.1.0", "503 5.5.1"])
    }

    @Test func storageRefusalComesBeforeSize() {
        var d = SessionDriver(Self.configuration) { question in
            if case .sender = question { return .insufficientStorage }
            return SessionDriver.acceptAll(question)
        }
        _ = d.take()
        #expect(Self.codes(&d, "EHLO c\r\nMAIL FROM:<a@b> SIZE=99999999\r\n") == ["250", "452 4.3.1"])
    }

    @Test func recipientLimit() {
        var configuration = Self.configuration
        configuration.recipientLimit = 2
        var d = Self.driver(configuration)
        let codes = Self.codes(&d, "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@b>\r\nRCPT TO:<y@b>\r\nRCPT TO:<z@b>\r\n")
        #expect(codes == ["250", "250 2.1.0", "250 2.1.5", "250 2.1.5", "452 4.5.3"])
    }

    @Test func noValidRecipients() {
        var d = SessionDriver(Self.configuration) { question in
            if case .recipient = question { return .unknownUser("x@b") }
            return SessionDriver.acceptAll(question)
        }
        _ = d.take()
        #expect(Self.codes(&d, "EHLO c\r\nMAIL FROM:<a@b>\r\nDATA\r\nRCPT TO:<x@b>\r\nDATA\r\n")
            == ["250", "250 2.1.0", "503 5.5.1", "550 5.1.1", "554 5.5.1"])
    }

    @Test(arguments: FramerTests.fakeTerminators)
    func smugglingIsOneRefusedMessage(_ fake: String) {
        var d = Self.driver()
        let codes = Self.codes(&d, "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@b>\r\nDATA\r\n"
            + "Subject: a\r\n\r\nbody\(fake)MAIL FROM:<evil@b>\r\nRCPT TO:<y@b>\r\nDATA\r\nsmuggled\r\n.\r\n")
        #expect(codes == ["250", "250 2.1.0", "250 2.1.5", "354", "554 5.6.0"])
        #expect(d.committed.isEmpty)
    }

    @Test func contentFaultsAfterEndOfData() {
        var d = Self.driver()
        let prefix = "MAIL FROM:<a@b>\r\nRCPT TO:<x@b>\r\nDATA\r\n"
        _ = Self.codes(&d, "EHLO c\r\n")
        #expect(Self.codes(&d, prefix + String(repeating: "x", count: 999) + "\r\n.\r\n") == ["250 2.1.0", "250 2.1.5", "354", "500 5.5.2"])
        #expect(Self.codes(&d, prefix + String(repeating: "x", count: 998) + "\r\n.\r\n") == ["250 2.1.0", "250 2.1.5", "354", "250 2.0.0"])
        let big = String(repeating: String(repeating: "y", count: 998) + "\r\n", count: 1100)
        #expect(Self.codes(&d, prefix + big + ".\r\n") == ["250 2.1.0", "250 2.1.5", "354", "552 5.3.4"])
        let hops = String(repeating: "Received: from x\r\n", count: 51)
        #expect(Self.codes(&d, prefix + hops + "\r\nbody\r\n.\r\n") == ["250 2.1.0", "250 2.1.5", "354", "554 5.4.6"])
        let fifty = String(repeating: "Received: from x\r\n", count: 50)
        #expect(Self.codes(&d, prefix + fifty + "\r\nReceived: in body\r\n.\r\n") == ["250 2.1.0", "250 2.1.5", "354", "250 2.0.0"])
        #expect(d.committed.count == 2)
    }

    @Test func bdatChunks() {
        var d = Self.driver()
        let codes = Self.codes(&d, "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@b>\r\nBDAT 5\r\nab\r\ncBDAT 3 LAST\r\nd\r\n")
        #expect(codes == ["250", "250 2.1.0", "250 2.1.5", "250 2.0.0", "250 2.0.0"])
        #expect(d.committed.first?.text == Array("ab\r\ncd\r\n".utf8))
        #expect(Self.codes(&d, "BDAT 12 LAST\r\nhello there\n") == ["503 5.5.1"])
        #expect(Self.codes(&d, "MAIL FROM:<a@b>\r\nRCPT TO:<x@b>\r\nBDAT 2\r\nxyDATA\r\n") == ["250 2.1.0", "250 2.1.5", "250 2.0.0", "503 5.5.1"])
        #expect(Self.codes(&d, "BDAT lots LAST\r\nRSET\r\n") == ["501 5.5.4", "250 2.0.0"])
        #expect(Self.codes(&d, "MAIL FROM:<a@b>\r\nRCPT TO:<x@b>\r\nBDAT 0 LAST\r\n") == ["250 2.1.0", "250 2.1.5", "250 2.0.0"])
    }

    @Test func bdatOverSizeFailsTheTransaction() {
        var configuration = Self.configuration
        configuration.messageSizeLimit = 10
        var d = Self.driver(configuration)
        let codes = Self.codes(&d, "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@b>\r\nBDAT 8\r\n12345678BDAT 8\r\n12345678BDAT 2 LAST\r\n\r\n")
        #expect(codes == ["250", "250 2.1.0", "250 2.1.5", "250 2.0.0", "552 5.3.4", "503 5.5.1"])
        #expect(d.committed.isEmpty)
    }

    @Test func dripFedSessionMatchesWholeReads() {
        let script = Array("EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@b>\r\nDATA\r\nline\r\n..x\r\n.\r\nBDAT 4 LAST\r\n".utf8)
        var whole = Self.driver()
        whole.feed(script)
        var drip = Self.driver()
        drip.feed(script, dripping: true)
        #expect(whole.take() == drip.take())
        #expect(whole.committed.map(\.text) == drip.committed.map(\.text))
    }

    @Test func tooManyErrorsCloses() {
        var d = Self.driver()
        _ = Self.codes(&d, String(repeating: "FOO\r\n", count: 20))
        #expect(Self.codes(&d, "NOOP\r\n") == ["250 2.0.0"])
        d.feed("FOO\r\nNOOP\r\n")
        #expect(d.take() == "421 4.7.0 mx.example.com Too many errors, closing transmission channel\r\n")
        #expect(d.closed)
    }

    @Test func noMailMode() {
        var configuration = Self.configuration
        configuration.acceptMail = false
        var d = SessionDriver(configuration)
        #expect(d.take() == "521 mx.example.com Machine does not accept mail\r\n")
        d.feed("EHLO c\r\nNOOP\r\nFOO\r\n")
        #expect(d.take() == String(repeating: "521 5.3.2 mx.example.com Machine does not accept mail\r\n", count: 3))
        #expect(Self.codes(&d, "QUIT\r\n") == ["221 2.0.0"])
    }

    @Test func authAndStartTLSWithoutTLS() {
        // No certificate and no mechanisms configured: STARTTLS is unavailable, AUTH needs TLS.
        var d = Self.driver()
        #expect(Self.codes(&d, "AUTH PLAIN\r\nSTARTTLS\r\nSTARTTLS now\r\n") == ["503 5.5.1", "454 4.7.0", "454 4.7.0"])
        #expect(Self.codes(&d, "EHLO c\r\nAUTH\r\nAUTH X-FOO\r\nAUTH CRAM-MD5 abc\r\nAUTH PLAIN\r\n")
            == ["250", "501 5.5.4", "504 5.5.4", "501 5.5.4", "538 5.7.11"])
    }

    @Test func helpAndVerify() {
        var d = Self.driver()
        d.feed("HELP MAIL\r\n")
        #expect(d.take() == "214 2.0.0 MAIL FROM:<reverse-path> [SIZE= BODY= SMTPUTF8 RET= ENVID= TRANSID= AUTH=]\r\n")
        #expect(Self.codes(&d, "HELP FROBNICATE\r\nHELP STATUS\r\nVRFY\r\nVRFY a@@b\r\nVRFY user\r\n")
            == ["504 5.5.4", "211 2.0.0", "501 5.5.4", "553 5.1.3", "252 2.1.5"])
        d.feed("HELP\r\n")
        #expect(d.take().split(separator: "\r\n").allSatisfy { $0.hasPrefix("214-2.0.0 ") || $0.hasPrefix("214 2.0.0 ") })
    }
}

@Suite struct HelloNameTests {
    @Test(arguments: [
        ("client.example.net", "client.example.net"), ("[192.0.2.1]", "[192.0.2.1]"),
        ("[IPv6:2001:db8::1]", "[IPv6:2001:db8::1]"), ("bad(name)", "bad%28name%29"),
        ("a\tb", "a%09b"), ("x\r\nReceived:", "x%0D%0AReceived%3A"), ("caf\u{E9}_1", "caf%C3%A9_1"),
    ])
    func recordable(_ given: String, _ recorded: String) {
        #expect(HelloName.recordable(given) == recorded)
    }
}
