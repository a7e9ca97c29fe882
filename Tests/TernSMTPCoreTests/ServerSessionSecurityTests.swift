import Testing
import TernSMTPCore
import TernTestSupport

/// STARTTLS, AUTH and the submission rules of docs/behaviour.md §0.3, §12, §13, in memory.
@Suite struct ServerSessionSecurityTests {
    static func configuration(_ role: ListenerRole = .mx, tls: Bool = true) -> ServerSessionConfiguration {
        ServerSessionConfiguration(
            hostname: "mx.example.com", role: role, messageSizeLimit: 1_048_576, tlsAvailable: tls,
            authMechanisms: ["SCRAM-SHA-256", "PLAIN", "LOGIN", "CRAM-MD5"], authFailureLimit: 3)
    }

    static func driver(_ configuration: ServerSessionConfiguration) -> SessionDriver {
        var driver = SessionDriver(configuration)
        _ = driver.take()
        return driver
    }

    static func codes(_ d: inout SessionDriver, _ input: String) -> [String] {
        ServerSessionTests.codes(&d, input)
    }

    /// STARTTLS, then a new EHLO in a later read (the same read would be discarded).
    static func secure(_ d: inout SessionDriver) {
        #expect(codes(&d, "STARTTLS\r\n") == ["220 2.0.0"])
        #expect(codes(&d, "EHLO c\r\n") == ["250"])
    }

    static func keywords(_ d: inout SessionDriver) -> [String] {
        d.feed("EHLO c\r\n")
        return d.take().split(separator: "\r\n").dropFirst().map { String($0.dropFirst(4)) }
    }

    @Test func keywordsBeforeAndAfterTLS() {
        var d = Self.driver(Self.configuration())
        #expect(Self.keywords(&d) == ["PIPELINING", "SIZE 1048576", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES",
                                      "CHUNKING", "DSN", "ETRN", "STARTTLS", "HELP"])
        #expect(Self.codes(&d, "STARTTLS\r\n") == ["220 2.0.0"])
        #expect(Self.keywords(&d) == ["PIPELINING", "SIZE 1048576", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES",
                                      "CHUNKING", "DSN", "ETRN", "AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256", "HELP"])
        var smtps = Self.driver(Self.configuration(.smtps))
        #expect(Self.keywords(&smtps).contains("AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256"))
        #expect(Self.codes(&smtps, "STARTTLS\r\n") == ["454 4.7.0"])
    }

    /// CVE-2011-0411: what was pipelined after STARTTLS in clear text is never executed.
    @Test func plaintextAfterStartTLSIsDiscarded() {
        var d = Self.driver(Self.configuration())
        d.feed("EHLO c\r\nSTARTTLS\r\nRSET\r\nMAIL FROM:<a@b>\r\n")
        let replies = d.take().split(separator: "\r\n").filter { $0.dropFirst(3).first == " " }
        #expect(replies.map { $0.prefix(3) } == ["250", "220"])
        #expect(d.tlsStarts == 1)
        #expect(Self.codes(&d, "MAIL FROM:<a@b>\r\n") == ["503 5.5.1"])
        #expect(Self.codes(&d, "STARTTLS\r\nSTARTTLS now\r\n") == ["503 5.5.1", "501 5.5.4"])
    }

    @Test func startTLSOrder() {
        var d = Self.driver(Self.configuration(tls: false))
        #expect(Self.codes(&d, "STARTTLS now\r\nSTARTTLS\r\n") == ["454 4.7.0", "454 4.7.0"])
    }

    @Test func authExchange() {
        var d = Self.driver(Self.configuration())
        Self.secure(&d)
        d.authenticationSteps = [.challenge(Array("Username:".utf8)), .challenge(Array("Password:".utf8)), .success(account: "bob")]
        d.feed("AUTH LOGIN\r\n")
        #expect(d.take() == "334 VXNlcm5hbWU6\r\n")
        d.feed("Ym9i\r\n")
        #expect(d.take() == "334 UGFzc3dvcmQ6\r\n")
        d.feed("c2VjcmV0\r\n")
        #expect(d.take() == "235 2.7.0 Authentication successful\r\n")
        #expect(d.authenticationInput == ["LOGIN", "Ym9i", "c2VjcmV0"])
        #expect(Self.codes(&d, "AUTH PLAIN\r\n") == ["503 5.5.1"])
        d.feed("MAIL FROM:<bob@example.com>\r\nRCPT TO:<x@y>\r\nDATA\r\nhi\r\n.\r\n")
        #expect(d.committed.first?.summary.protocolName == "ESMTPSA")
    }

    @Test func authRefusals() {
        var d = Self.driver(Self.configuration())
        #expect(Self.codes(&d, "AUTH PLAIN\r\nHELO c\r\nAUTH PLAIN\r\n") == ["503 5.5.1", "250", "503 5.5.1"])
        #expect(Self.codes(&d, "EHLO c\r\nAUTH PLAIN\r\n") == ["250", "538 5.7.11"])
        Self.secure(&d)
        #expect(Self.codes(&d, "AUTH\r\nAUTH X-FOO\r\nAUTH CRAM-MD5 abc\r\nAUTH PLAIN !!!\r\n")
            == ["501 5.5.4", "504 5.5.4", "501 5.5.4", "501 5.5.2"])
        #expect(Self.codes(&d, "MAIL FROM:<a@b>\r\nAUTH PLAIN\r\nRSET\r\n") == ["250 2.1.0", "503 5.5.1", "250 2.0.0"])
        d.authenticationSteps = [.challenge([])]
        #expect(Self.codes(&d, "AUTH PLAIN\r\n*\r\n") == ["334", "501 5.7.0"])
        // The cancelled exchange counted as the first failure; 534 and 432 do not count.
        d.authenticationSteps = [.mechanismTooWeak, .transitionNeeded, .invalidCredentials, .invalidCredentials]
        #expect(Self.codes(&d, "AUTH PLAIN =\r\nAUTH SCRAM-SHA-256 =\r\nAUTH PLAIN =\r\nAUTH PLAIN =\r\nAUTH PLAIN =\r\nNOOP\r\n")
            == ["534 5.7.9", "432 4.7.12", "535 5.7.8", "535 5.7.8", "454 4.7.0", "250 2.0.0"])
    }

    @Test func endingAnExchangeCountsAsAFailedAuth() {
        // `*` or a response that is not base64 ends the exchange before the credentials are
        // checked: counted like a 535, so probing names by cancelling is not free.
        var d = Self.driver(Self.configuration())
        Self.secure(&d)
        d.authenticationSteps = [.challenge([]), .challenge([]), .challenge([])]
        #expect(Self.codes(&d, "AUTH PLAIN\r\n*\r\nAUTH LOGIN\r\n!!!\r\nAUTH SCRAM-SHA-256\r\n*\r\nAUTH PLAIN =\r\n")
            == ["334", "501 5.7.0", "334", "501 5.5.2", "334", "501 5.7.0", "454 4.7.0"])
    }

    @Test func saslLineLimit() {
        var d = Self.driver(Self.configuration())
        Self.secure(&d)
        d.authenticationSteps = [.challenge([])]
        #expect(Self.codes(&d, "AUTH PLAIN\r\n" + String(repeating: "A", count: 12_300) + "\r\nNOOP\r\n")
            == ["334", "500 5.5.6", "250 2.0.0"])
    }

    @Test func submissionRules() {
        var d = Self.driver(Self.configuration(.submission))
        #expect(Self.codes(&d, "EHLO c\r\nMAIL FROM:<a@b>\r\nVRFY x\r\nAUTH PLAIN\r\nNOOP\r\nRSET\r\n")
            == ["250", "530 5.7.0", "530 5.7.0", "530 5.7.0", "250 2.0.0", "250 2.0.0"])
        Self.secure(&d)
        #expect(Self.codes(&d, "MAIL FROM:<a@b>\r\nETRN x.example\r\n") == ["530 5.7.0", "502 5.5.1"])
        d.authenticationSteps = [.success(account: "bob")]
        d.answer = { question in
            if case .senderOwnership(let path, "bob") = question {
                return path.mailbox?.localPart == "bob" ? .senderOK : .senderNotOwned(path, account: "bob")
            }
            return SessionDriver.acceptAll(question)
        }
        _ = Self.codes(&d, "AUTH PLAIN =\r\n")
        #expect(Self.codes(&d, "MAIL FROM:<other@example.com>\r\nMAIL FROM:<bob@example.com> SIZE=99999999\r\nMAIL FROM:<bob@example.com>\r\n")
            == ["553 5.7.1", "552 5.3.4", "250 2.1.0"])
    }
}
