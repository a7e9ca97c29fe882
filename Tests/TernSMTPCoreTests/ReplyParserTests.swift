import NIOCore
import Testing
import TernSMTPCore

@Suite struct ReplyParserTests {
    /// Parses `input` in one piece or one octet at a time; returns the replies, then the error.
    static func parse(_ input: String, dripping: Bool = false) -> ([Reply], ReplyParser.ParseError?) {
        var parser = ReplyParser()
        var replies: [Reply] = []
        let bytes = Array(input.utf8)
        do throws(ReplyParser.ParseError) {
            for piece in dripping ? bytes.map({ [$0] }) : [bytes] {
                parser.append(ByteBuffer(bytes: piece))
                while let reply = try parser.next() { replies.append(reply) }
            }
        } catch {
            return (replies, error)
        }
        return (replies, nil)
    }

    @Test(arguments: [
        ("250 OK\r\n", Reply(250, nil, "OK")),
        ("250\r\n", Reply(250, nil, "")),
        ("250 \r\n", Reply(250, nil, "")),
        ("220 mx.example.com ESMTP\n", Reply(220, nil, "mx.example.com ESMTP")),
        ("250 2.1.5 Recipient OK\r\n", Reply(250, EnhancedStatusCode(2, 1, 5), "Recipient OK")),
        ("250 2.0.0\r\n", Reply(250, EnhancedStatusCode(2, 0, 0), "")),
        ("451 4.7.25 Reverse DNS failed\r\n", Reply(451, EnhancedStatusCode(4, 7, 25), "Reverse DNS failed")),
        ("550 5.01.001 padded\r\n", Reply(550, EnhancedStatusCode(5, 1, 1), "padded")),
        ("550 4.1.1 class differs\r\n", Reply(550, nil, "4.1.1 class differs")),
        ("550 5.1234.1 too long\r\n", Reply(550, nil, "5.1234.1 too long")),
        ("550 5.1.1: no space\r\n", Reply(550, nil, "5.1.1: no space")),
        ("354 Start mail input; end with <CRLF>.<CRLF>\r\n", Reply(354, nil, "Start mail input; end with <CRLF>.<CRLF>")),
        ("550 5.1.1 Ünknown\tuser\r\n", Reply(550, EnhancedStatusCode(5, 1, 1), "Ünknown\tuser")),
        ("250-mx.example.com Hello\r\n250-PIPELINING\r\n250-\r\n250 SIZE 100\r\n",
         Reply(250, nil, ["mx.example.com Hello", "PIPELINING", "", "SIZE 100"])),
        ("550-5.1.1 No such user\r\n550-5.1.1 here\r\n550 more\r\n",
         Reply(550, EnhancedStatusCode(5, 1, 1), ["No such user", "here", "more"])),
        ("421-4.3.2 going\r\n421 4.3.0 down\r\n", Reply(421, EnhancedStatusCode(4, 3, 2), ["going", "4.3.0 down"])),
    ])
    func replies(_ input: String, _ expected: Reply) {
        for dripping in [false, true] {
            let (replies, error) = Self.parse(input, dripping: dripping)
            #expect(error == nil)
            #expect(replies == [expected])
        }
    }

    static let malformedInputs: [(String, ReplyParser.ParseError)] = [
        ("25 OK\r\n", .malformedLine),
        ("\r\n", .malformedLine),
        ("250_OK\r\n", .malformedLine),
        ("abc def\r\n", .malformedLine),
        ("650 six\r\n", .malformedLine),
        ("160 one\r\n", .malformedLine),
        ("260 second digit\r\n", .malformedLine),
        ("25x third\r\n", .malformedLine),
        ("250-a\r\n251 b\r\n", .codeMismatch(expected: 250, found: 251)),
        ("250-a\r\n250-b\r\nbroken\r\n", .malformedLine),
        ("250 " + String(repeating: "x", count: SMTPDefaults.replyLineLimit), .lineTooLong),
        ("250 " + String(repeating: "x", count: SMTPDefaults.replyLineLimit - 5) + "\r\n", .lineTooLong),
        (String(repeating: "250-x\r\n", count: SMTPDefaults.replyLineCountLimit) + "250 x\r\n", .tooManyLines),
    ]

    @Test(arguments: malformedInputs)
    func malformed(_ input: String, _ expected: ReplyParser.ParseError) {
        for dripping in [false, true] {
            let (replies, error) = Self.parse(input, dripping: dripping)
            #expect(replies.isEmpty)
            #expect(error == expected)
        }
    }

    @Test func longestLineIsAccepted() {
        let line = "250 " + String(repeating: "x", count: SMTPDefaults.replyLineLimit - 6) + "\r\n"
        #expect(line.utf8.count == SMTPDefaults.replyLineLimit)
        #expect(Self.parse(line).0.count == 1)
    }

    @Test func severalRepliesAndAPartialOne() throws {
        var parser = ReplyParser()
        parser.append(ByteBuffer(string: "250 2.1.0 Sender OK\r\n250-2.1.5 a\r\n250 2.1.5 b\r\n354 go\r\n250-par"))
        #expect(try parser.next() == Reply(250, EnhancedStatusCode(2, 1, 0), "Sender OK"))
        #expect(try parser.next() == Reply(250, EnhancedStatusCode(2, 1, 5), ["a", "b"]))
        #expect(try parser.next() == Reply(354, nil, "go"))
        #expect(try parser.next() == nil)
        parser.append(ByteBuffer(string: "t\r"))
        #expect(try parser.next() == nil)
        parser.append(ByteBuffer(string: "\n250 end\r\n"))
        #expect(try parser.next() == Reply(250, nil, ["part", "end"]))
        #expect(try parser.next() == nil)
    }

    @Test func replyClasses() {
        #expect(Reply(250, nil, "").isPositive && Reply(354, nil, "").isPositive)
        #expect(Reply(451, nil, "").isTransient && !Reply(451, nil, "").isPositive)
        #expect(Reply(554, nil, "").isPermanent && !Reply(554, nil, "").isTransient)
    }

    @Test func descriptionIsTheWireForm() {
        let reply = Reply(550, EnhancedStatusCode(5, 1, 1), ["No such user", ""])
        #expect(reply.description == "550-5.1.1 No such user\r\n550 5.1.1")
        #expect(Self.parse(reply.description + "\r\n").0 == [reply])
        #expect(EnhancedStatusCode.permanent(.badDestinationMailbox) == EnhancedStatusCode(5, 1, 1))
        #expect(EnhancedStatusCode(permanent: 7, 26) == EnhancedStatusCode("5.7.26"))
        #expect(EnhancedStatusCode(permanent: 7, 26).description == "5.7.26")
    }

    /// Tern's own replies come back as they were.
    @Test func ternRepliesRoundTrip() {
        for reply in [Reply.senderOK, .recipientOK, .startMailInput, .messageTooBig, .ehlo("mx", client: "c", keywords: ["SIZE 5"])] {
            var wire = ByteBuffer()
            reply.write(into: &wire)
            let parsed = Self.parse(String(buffer: wire)).0
            #expect(parsed == [reply])
        }
    }

    @Test func ehloResponse() {
        let (replies, _) = Self.parse("""
            250-mx.example.com Hello client\r
            250-pipelining\r
            250-SIZE 35882577\r
            250-8BITMIME\r
            250-SMTPUTF8\r
            250-ENHANCEDSTATUSCODES\r
            250-CHUNKING\r
            250-DSN\r
            250-STARTTLS\r
            250-AUTH PLAIN login\r
            250-AUTH=LOGIN CRAM-MD5\r
            250-X-UNKNOWN whatever\r
            250 HELP\r

            """)
        let response = EHLOResponse(replies[0])
        #expect(response.domain == "mx.example.com")
        #expect(response.capabilities == PeerCapabilities(
            pipelining: true, size: true, maximumSize: 35_882_577, eightBitMIME: true, smtpUTF8: true,
            enhancedStatusCodes: true, chunking: true, dsn: true, startTLS: true,
            authMechanisms: ["PLAIN", "LOGIN", "CRAM-MD5"]))
    }

    @Test(arguments: [
        (["SIZE"], PeerCapabilities(size: true)),
        (["SIZE 0"], PeerCapabilities(size: true)),
        (["SIZE big"], PeerCapabilities(size: true)),
        (["size 1000"], PeerCapabilities(size: true, maximumSize: 1000)),
        (["AUTH"], PeerCapabilities()),
        ([], PeerCapabilities()),
    ])
    func keywordLines(_ lines: [String], _ expected: PeerCapabilities) {
        #expect(PeerCapabilities(keywordLines: lines) == expected)
    }

    @Test func singleLineEHLO() {
        let response = EHLOResponse(Reply(250, nil, "mx.example.com"))
        #expect(response.domain == "mx.example.com" && response.capabilities == PeerCapabilities())
    }
}
