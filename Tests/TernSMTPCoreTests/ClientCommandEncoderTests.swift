import NIOCore
import Testing
import TernSMTPCore

@Suite struct ClientCommandEncoderTests {
    static let everything = PeerCapabilities(
        pipelining: true, size: true, maximumSize: 1000, eightBitMIME: true, smtpUTF8: true, enhancedStatusCodes: true,
        chunking: true, dsn: true, startTLS: true, authMechanisms: ["PLAIN"])
    static let nothing = PeerCapabilities()

    static func text(_ write: (inout ByteBuffer) -> Void) -> String {
        var buffer = ByteBuffer()
        write(&buffer)
        return String(buffer: buffer)
    }

    static let alice = Mailbox(localPart: "alice", domain: .name("example.com"))
    static let full = MailParameters(size: 12345, body: .eightBitMIME, smtpUTF8: true, ret: .headers,
                                     envelopeID: "QQ+1=x y", auth: "alice@example.com", transactionID: "<a@b>")

    @Test(arguments: [
        (PeerCapabilities(), MailParameters(), "MAIL FROM:<alice@example.com>\r\n"),
        (nothing, full, "MAIL FROM:<alice@example.com>\r\n"),
        (everything, full,
         "MAIL FROM:<alice@example.com> SIZE=12345 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ+2B1+3Dx+20y AUTH=alice@example.com\r\n"),
        (PeerCapabilities(size: true), full, "MAIL FROM:<alice@example.com> SIZE=12345\r\n"),
        (PeerCapabilities(eightBitMIME: true), MailParameters(body: .sevenBit), "MAIL FROM:<alice@example.com> BODY=7BIT\r\n"),
        (PeerCapabilities(dsn: true), full, "MAIL FROM:<alice@example.com> RET=HDRS ENVID=QQ+2B1+3Dx+20y\r\n"),
        (PeerCapabilities(authMechanisms: ["PLAIN"]), MailParameters(auth: "<>"), "MAIL FROM:<alice@example.com> AUTH=<>\r\n"),
    ])
    func mail(_ peer: PeerCapabilities, _ parameters: MailParameters, _ expected: String) {
        #expect(Self.text { CommandEncoder.mail(from: .mailbox(Self.alice), parameters, peer: peer, into: &$0) } == expected)
    }

    @Test func nullSender() {
        #expect(Self.text { CommandEncoder.mail(from: .null, MailParameters(), peer: Self.everything, into: &$0) }
            == "MAIL FROM:<>\r\n")
    }

    @Test(arguments: [
        (PeerCapabilities(dsn: true), RcptParameters(notify: .never), "RCPT TO:<alice@example.com> NOTIFY=NEVER\r\n"),
        (PeerCapabilities(dsn: true), RcptParameters(notify: [.delay, .success, .failure]),
         "RCPT TO:<alice@example.com> NOTIFY=SUCCESS,FAILURE,DELAY\r\n"),
        (PeerCapabilities(dsn: true),
         RcptParameters(notify: .default, originalRecipient: OriginalRecipient(addressType: "rfc822", address: "Bob+x@example.com")),
         "RCPT TO:<alice@example.com> NOTIFY=FAILURE,DELAY ORCPT=rfc822;Bob+2Bx@example.com\r\n"),
        (PeerCapabilities(), RcptParameters(notify: .never, originalRecipient: OriginalRecipient(addressType: "rfc822", address: "b@x")),
         "RCPT TO:<alice@example.com>\r\n"),
    ])
    func rcpt(_ peer: PeerCapabilities, _ parameters: RcptParameters, _ expected: String) {
        #expect(Self.text { CommandEncoder.rcpt(to: .mailbox(Self.alice), parameters, peer: peer, into: &$0) } == expected)
    }

    @Test func quotedLocalPartAndPostmaster() {
        let quoted = Mailbox(localPart: "a b", domain: .name("example.com"))
        #expect(Self.text { CommandEncoder.rcpt(to: .mailbox(quoted), RcptParameters(), peer: Self.nothing, into: &$0) }
            == "RCPT TO:<\"a b\"@example.com>\r\n")
        #expect(Self.text { CommandEncoder.rcpt(to: .postmaster, RcptParameters(), peer: Self.nothing, into: &$0) }
            == "RCPT TO:<Postmaster>\r\n")
    }

    @Test func simpleCommands() {
        #expect(Self.text { CommandEncoder.ehlo("tern.example", into: &$0) } == "EHLO tern.example\r\n")
        #expect(Self.text { CommandEncoder.helo("tern.example", into: &$0) } == "HELO tern.example\r\n")
        #expect(Self.text { CommandEncoder.lhlo("tern.example", into: &$0) } == "LHLO tern.example\r\n")
        #expect(Self.text { CommandEncoder.data(into: &$0) } == "DATA\r\n")
        #expect(Self.text { CommandEncoder.bdat(size: 42, last: false, into: &$0) } == "BDAT 42\r\n")
        #expect(Self.text { CommandEncoder.bdat(size: 0, last: true, into: &$0) } == "BDAT 0 LAST\r\n")
        #expect(Self.text { CommandEncoder.rset(into: &$0) } == "RSET\r\n")
        #expect(Self.text { CommandEncoder.quit(into: &$0) } == "QUIT\r\n")
        #expect(Self.text { CommandEncoder.startTLS(into: &$0) } == "STARTTLS\r\n")
    }

    @Test func auth() {
        #expect(Self.text { CommandEncoder.auth(mechanism: "PLAIN", initialResponse: Array("\0u\0p".utf8), into: &$0) }
            == "AUTH PLAIN AHUAcA==\r\n")
        #expect(Self.text { CommandEncoder.auth(mechanism: "EXTERNAL", initialResponse: [], into: &$0) } == "AUTH EXTERNAL =\r\n")
        #expect(Self.text { CommandEncoder.auth(mechanism: "LOGIN", initialResponse: nil, into: &$0) } == "AUTH LOGIN\r\n")
        #expect(Self.text { CommandEncoder.authResponse(Array("user".utf8), into: &$0) } == "dXNlcg==\r\n")
        #expect(Self.text { CommandEncoder.authResponse(nil, into: &$0) } == "*\r\n")
    }

    /// What the encoder writes, Tern's own parser reads back (`\r\n` is one `Character`).
    @Test func parametersRoundTripThroughServerParser() throws {
        let line = Self.text { CommandEncoder.mail(from: .mailbox(Self.alice), Self.full, peer: Self.everything, into: &$0) }
        let parsed = try TransactionCommandParser.mail(String(line.dropFirst(5).dropLast()))
        var expected = Self.full
        expected.transactionID = nil
        #expect(parsed.parameters == expected)
        let rcpt = RcptParameters(notify: [.success], originalRecipient: OriginalRecipient(addressType: "rfc822", address: "x+y=z@example.com"))
        let rcptLine = Self.text { CommandEncoder.rcpt(to: .mailbox(Self.alice), rcpt, peer: Self.everything, into: &$0) }
        #expect(try TransactionCommandParser.rcpt(String(rcptLine.dropFirst(5).dropLast()), smtpUTF8: false).parameters == rcpt)
    }

    @Test(arguments: [("abc", "abc"), ("a+b=c", "a+2Bb+3Dc"), ("a b\u{7F}", "a+20b+7F"), ("é", "+C3+A9"), ("", "")])
    func xtext(_ text: String, _ encoded: String) {
        #expect(CommandEncoder.xtext(text) == encoded)
    }
}
