import Testing
import TernSMTPCore

@Suite struct TransactionCommandParserTests {
    static func mailbox(_ local: String, _ domain: String) -> Mailbox { Mailbox(localPart: local, domain: .name(domain)) }

    @Test(arguments: [
        ("FROM:<user@example.com>", ReversePath.mailbox(mailbox("user", "example.com"))),
        ("from:<>", .null),
        ("FROM: <user@example.com>", .mailbox(mailbox("user", "example.com"))),
        ("FROM:<@a.example,@b.example:user@c.example>", .mailbox(mailbox("user", "c.example"))),
        ("FROM:<\"a b\"@example.com>", .mailbox(mailbox("a b", "example.com"))),
        ("FROM:<\"a@b\"@example.com>", .mailbox(mailbox("a@b", "example.com"))),
        ("FROM:<\"a\\\"q\"@example.com>", .mailbox(mailbox("a\"q", "example.com"))),
        ("FROM:<user@[192.0.2.1]>", .mailbox(Mailbox(localPart: "user", domain: .addressLiteral("192.0.2.1")))),
        ("FROM:<user@[IPv6:2001:db8::1]>", .mailbox(Mailbox(localPart: "user", domain: .addressLiteral("IPv6:2001:db8::1")))),
        ("FROM:<a.b+c@x>", .mailbox(mailbox("a.b+c", "x"))),
    ])
    func mailPaths(_ argument: String, _ expected: ReversePath) throws {
        #expect(try TransactionCommandParser.mail(argument).path == .success(expected))
    }

    @Test(arguments: [
        "user@example.com", "FROM user@example.com", "TO:<a@b>", "FROM:<a@b", "FROM:", "FROM:<a@b>x",
    ])
    func malformedMail(_ argument: String) {
        #expect(throws: Reply.mailSyntax) { try TransactionCommandParser.mail(argument) }
    }

    @Test(arguments: [
        ("FROM:<user@@example.com>", AddressError.syntax),
        ("FROM:<a b@example.com>", .syntax),
        ("FROM:<a@exa_mple..com>", .syntax),
        ("FROM:<.a@example.com>", .syntax),
        ("FROM:<a.@example.com>", .syntax),
        ("FROM:<a..b@example.com>", .syntax),
        ("FROM:<a@-x.example>", .syntax),
        ("FROM:<a@x-.example>", .syntax),
        ("FROM:<a@[300.1.1.1]>", .syntax),
        ("FROM:<a>", .syntax),
        ("FROM:<jöran@example.com>", .nonASCII),
        ("FROM:<a\"b@example.com>", .syntax),
        ("FROM:<\"unterminated@example.com>", .syntax),
    ])
    func badSenders(_ argument: String, _ error: AddressError) throws {
        #expect(try TransactionCommandParser.mail(argument).path == .failure(error))
    }

    @Test func utf8SenderWithSMTPUTF8() throws {
        let command = try TransactionCommandParser.mail("FROM:<jöran@exämple.com> SMTPUTF8")
        #expect(command.path == .success(.mailbox(Self.mailbox("jöran", "exämple.com"))))
        #expect(command.parameters.smtpUTF8)
    }

    @Test func quotedLocalPartsTakeTheSameNonASCIIAsAtoms() throws {
        // U+FFFD is what octets that were not UTF-8 decode to; C1 controls are no text. Found
        // by fuzzing: `"\u{FFFD}"@Iv` was taken, written back unquoted, and refused then.
        for refused in ["TO:<\"\u{FFFD}\"@example.com>", "TO:<\"a\u{85}b\"@example.com>", "TO:<\u{FFFD}@example.com>"] {
            let command = try TransactionCommandParser.rcpt(refused, smtpUTF8: true)
            #expect(command.path == .failure(.syntax), "\(refused.debugDescription)")
        }
        let accepted = try TransactionCommandParser.rcpt("TO:<\"j\u{F6} rg\"@example.com>", smtpUTF8: true)
        #expect(accepted.path == .success(.mailbox(Self.mailbox("j\u{F6} rg", "example.com"))))
    }

    @Test func mailParameters() throws {
        let p = try TransactionCommandParser.mail(
            "FROM:<a@b> SIZE=1048576 BODY=8bitmime RET=hdrs ENVID=a+2Bb AUTH=<> TRANSID=<t1@client.example.net>"
        ).parameters
        #expect(p == MailParameters(size: 1_048_576, body: .eightBitMIME, ret: .headers, envelopeID: "a+b",
                                    auth: "<>", transactionID: "<t1@client.example.net>"))
    }

    @Test(arguments: [
        "SIZE=", "SIZE=x", "SIZE=1 SIZE=2", "BODY=BINARYMIME", "BODY=9BIT", "SMTPUTF8=x", "RET=EVERYTHING",
        "ENVID=a=b", "ENVID=" + String(repeating: "a", count: 101), "TRANSID=no-brackets@x", "TRANSID=<no-at-sign>",
        "TRANSID=<" + String(repeating: "a", count: 80) + "@x>", "=x", "-X=1",
    ])
    func badMailParameters(_ parameter: String) throws {
        #expect(throws: Reply.self) { try TransactionCommandParser.mail("FROM:<a@b> \(parameter)") }
        do {
            _ = try TransactionCommandParser.mail("FROM:<a@b> \(parameter)")
        } catch {
            #expect(error.code == 501)
            #expect(error.enhanced?.description == "5.5.4")
        }
    }

    @Test func xtextEscapesAreOctets() throws {
        #expect(try TransactionCommandParser.mail("FROM:<a@b> ENVID=a+C3+A9").parameters.envelopeID == "aé")
        #expect(throws: Reply.self) { try TransactionCommandParser.mail("FROM:<a@b> ENVID=a+c3") }
        #expect(throws: Reply.self) { try TransactionCommandParser.mail("FROM:<a@b> ENVID=a+C3") }
    }

    @Test func hugeSizeIsASizeNotASyntaxError() throws {
        #expect(try TransactionCommandParser.mail("FROM:<a@b> SIZE=99999999999999999999999").parameters.size == Int.max)
    }

    @Test func unknownParameters() {
        #expect(throws: Reply.unknownParameter("MAIL", "FOO")) { try TransactionCommandParser.mail("FROM:<a@b> FOO=BAR") }
        #expect(throws: Reply.unknownParameter("RCPT", "FOO")) { try TransactionCommandParser.rcpt("TO:<a@b> FOO=1", smtpUTF8: false) }
    }

    @Test(arguments: [
        ("TO:<Postmaster>", ForwardPath.postmaster),
        ("TO:<postMASTER>", .postmaster),
        ("TO:<user@example.com>", .mailbox(mailbox("user", "example.com"))),
        ("TO:<@example.com:x@other.example>", .mailbox(mailbox("x", "other.example"))),
        ("TO:<a%other.example@example.com>", .mailbox(mailbox("a%other.example", "example.com"))),
        ("TO:<other.example!a@example.com>", .mailbox(mailbox("other.example!a", "example.com"))),
    ])
    func rcptPaths(_ argument: String, _ expected: ForwardPath) throws {
        #expect(try TransactionCommandParser.rcpt(argument, smtpUTF8: false).path == .success(expected))
    }

    @Test func emptyRecipientIsRefused() throws {
        #expect(try TransactionCommandParser.rcpt("TO:<>", smtpUTF8: false).path == .failure(.syntax))
    }

    @Test func rcptParameters() throws {
        let p = try TransactionCommandParser.rcpt(
            "TO:<user@example.com> NOTIFY=FAILURE,DELAY ORCPT=rfc822;user+40example.com", smtpUTF8: false
        ).parameters
        #expect(p.notify == [.failure, .delay])
        #expect(p.originalRecipient == OriginalRecipient(addressType: "rfc822", address: "user@example.com"))
        #expect(try TransactionCommandParser.rcpt("TO:<a@b> NOTIFY=never", smtpUTF8: false).parameters.notify == .never)
    }

    @Test(arguments: ["NOTIFY=NEVER,SUCCESS", "NOTIFY=SOMETIMES", "NOTIFY=", "NOTIFY=SUCCESS,SUCCESS", "ORCPT=user", "ORCPT=;x"])
    func badRcptParameters(_ parameter: String) {
        #expect(throws: Reply.self) { try TransactionCommandParser.rcpt("TO:<a@b> \(parameter)", smtpUTF8: false) }
    }

    @Test(arguments: ["user@example.com", "TO:<a@b", "FROM:<a@b>"])
    func malformedRcpt(_ argument: String) {
        #expect(throws: Reply.rcptSyntax) { try TransactionCommandParser.rcpt(argument, smtpUTF8: false) }
    }
}
