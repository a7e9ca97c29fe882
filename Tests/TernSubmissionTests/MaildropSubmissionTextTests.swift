import Testing
import TernMessage

/// `SubmissionNormalizer`: what `sendmail` stores for the text a program writes.
@Suite struct MaildropSubmissionTextTests {
    private func normalized(_ input: String, ignoreDots: Bool, chunk: Int = .max) -> (String, ended: Bool) {
        var normalizer = SubmissionNormalizer(ignoreDots: ignoreDots)
        let bytes = Array(input.utf8)
        var output: [UInt8] = []
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + min(chunk, bytes.count))
            output += normalizer.normalize(Array(bytes[start..<end]))
            start = end
        }
        output += normalizer.finish()
        return (String(decoding: output, as: UTF8.self), normalizer.ended)
    }

    @Test(arguments: [
        ("a\nb\n", "a\r\nb\r\n", false),
        ("a\r\nb\r\n", "a\r\nb\r\n", false),
        ("a\nb", "a\r\nb\r\n", false),
        ("a\rb\n", "a\rb\r\n", false),
        ("a\r\r\n", "a\r\r\n", false),
        ("end\r", "end\r\n", false),
        ("", "", false),
        ("\n\n", "\r\n\r\n", false),
        ("a\n.\nb\n", "a\r\n", true),
        ("a\r\n.\r\nb\r\n", "a\r\n", true),
        ("a\n.", "a\r\n", true),
        (".\n", "", true),
        ("a\n..\n.b\n. \n", "a\r\n..\r\n.b\r\n. \r\n", false),
        ("a\n.\rb\n", "a\r\n.\rb\r\n", false),
    ])
    func linesEndInCRLFAndALoneDotEndsTheInput(input: String, stored: String, ended: Bool) {
        for chunk in [1, 2, 3, Int.max] {
            let result = normalized(input, ignoreDots: false, chunk: chunk)
            #expect(result.0 == stored, "chunk \(chunk)")
            #expect(result.ended == ended, "chunk \(chunk)")
        }
    }

    @Test(arguments: [
        ("a\n.\nb\n", "a\r\n.\r\nb\r\n"),
        ("a\n.", "a\r\n.\r\n"),
        (".\r\n", ".\r\n"),
    ])
    func withIgnoreDotsALoneDotIsText(input: String, stored: String) {
        for chunk in [1, Int.max] {
            let result = normalized(input, ignoreDots: true, chunk: chunk)
            #expect(result.0 == stored)
            #expect(!result.ended)
        }
    }
}

/// `SubmissionHeaderSection`: Bcc removed, `-t` recipients, added fields.
@Suite struct MaildropSubmissionHeaderTests {
    private static let added: [(name: String, value: String)] = [
        ("From", "alice@mx.example.com"), ("Date", "Sun, 29 Nov 2026 08:09:25 +0000"), ("Message-ID", "<1@mx>"),
    ]

    private func process(
        _ input: String, extract: Bool = true, added: [(name: String, value: String)] = added, chunk: Int = .max
    ) throws -> (text: String, recipients: [String]) {
        var section = SubmissionHeaderSection(extractRecipients: extract, addedFields: added)
        let bytes = Array(input.utf8)
        var output: [UInt8] = []
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + min(chunk, bytes.count))
            output += try section.process(Array(bytes[start..<end]))
            start = end
        }
        output += try section.finish()
        #expect(section.isComplete)
        return (String(decoding: output, as: UTF8.self), section.recipients)
    }

    @Test func bccIsRemovedAndRecipientsExtracted() throws {
        let input = "From: Alice <alice@example.org>\r\nTo: Bob <bob@example.com>,\r\n carol@example.com\r\n"
            + "Subject: plans\r\nbcc: dave@example.com,\r\n\terin\r\nCc: team: frank@example.net, \"g h\"@example.net;\r\n"
            + "Date: today\r\nMessage-ID: <x@y>\r\n\r\nBcc: body text stays\r\n"
        for chunk in [1, 7, Int.max] {
            let result = try process(input, chunk: chunk)
            #expect(result.text == "From: Alice <alice@example.org>\r\nTo: Bob <bob@example.com>,\r\n carol@example.com\r\n"
                + "Subject: plans\r\nCc: team: frank@example.net, \"g h\"@example.net;\r\nDate: today\r\nMessage-ID: <x@y>\r\n"
                + "\r\nBcc: body text stays\r\n")
            #expect(result.recipients == [
                "bob@example.com", "carol@example.com", "dave@example.com", "erin", "frank@example.net",
                "\"g h\"@example.net",
            ])
        }
    }

    @Test func withoutDashTBccIsStillRemovedButNothingExtracted() throws {
        let result = try process("To: bob@example.com\r\nBcc: dave@example.com\r\n\r\nHi\r\n", extract: false, added: [])
        #expect(result.text == "To: bob@example.com\r\n\r\nHi\r\n")
        #expect(result.recipients.isEmpty)
    }

    @Test func resentFieldsWinOverTheOriginalOnes() throws {
        let result = try process(
            "To: bob@example.com\r\nResent-To: carol@example.com\r\nResent-Bcc: dave@example.com\r\n\r\n", added: [])
        #expect(result.recipients == ["carol@example.com", "dave@example.com"])
        #expect(result.text == "To: bob@example.com\r\nResent-To: carol@example.com\r\n\r\n")
    }

    @Test func missingFieldsAreAddedOnlyWhenAbsent() throws {
        let result = try process("from: x@example.org\r\nSubject: s\r\n\r\nbody\r\n")
        #expect(result.text == "from: x@example.org\r\nSubject: s\r\nDate: Sun, 29 Nov 2026 08:09:25 +0000\r\n"
            + "Message-ID: <1@mx>\r\n\r\nbody\r\n")
    }

    @Test(arguments: [
        ("Hello there\r\nSecond line\r\n", "Hello there\r\nSecond line\r\n"),
        (" indented first\r\n", " indented first\r\n"),
        ("\r\nbody\r\n", "\r\nbody\r\n"),
    ])
    func textWithoutAHeaderSectionGetsOneAndASeparator(input: String, body: String) throws {
        let result = try process(input, extract: false)
        let fields = "From: alice@mx.example.com\r\nDate: Sun, 29 Nov 2026 08:09:25 +0000\r\nMessage-ID: <1@mx>\r\n"
        #expect(result.text == fields + (body.hasPrefix("\r\n") ? body : "\r\n" + body))
    }

    @Test func aLineThatIsNoFieldEndsTheSection() throws {
        let result = try process("Subject: s\r\nTo: bob\r\nnot a field\r\nBcc: x@y\r\n", added: [])
        #expect(result.text == "Subject: s\r\nTo: bob\r\n\r\nnot a field\r\nBcc: x@y\r\n")
        #expect(result.recipients == ["bob"])
    }

    @Test func headersOnlyAndEmptyMessages() throws {
        #expect(try process("Subject: s\r\n", added: []).text == "Subject: s\r\n")
        #expect(try process("", added: []).text == "")
        #expect(try process("", added: [("From", "a@b")]).text == "From: a@b\r\n")
    }

    @Test func leadingMboxFromLineIsDropped() throws {
        let result = try process("From alice  Sun Nov 29 08:09:25 2026\r\nSubject: s\r\n\r\nx\r\n", added: [])
        #expect(result.text == "Subject: s\r\n\r\nx\r\n")
    }

    @Test func fieldNamesMayHaveSpaceBeforeTheColon() throws {
        let result = try process("To : bob@example.com\r\nBcc\t: c@example.com\r\n\r\n", added: [])
        #expect(result.text == "To : bob@example.com\r\n\r\n")
        #expect(result.recipients == ["bob@example.com", "c@example.com"])
    }

    @Test func malformedRecipientFieldIsAnError() throws {
        #expect(throws: SubmissionHeaderSection.Failure.badAddressList(field: "cc", reason: "unterminated angle address")) {
            try process("To: bob@example.com\r\nCc: Carol <carol@example.com\r\n\r\n")
        }
        #expect(try process("Cc: Carol <carol@example.com\r\n\r\n", extract: false).recipients.isEmpty,
                "without -t nobody parses the field")
    }

    @Test func endlessHeaderSectionIsRefused() throws {
        var section = SubmissionHeaderSection(extractRecipients: false, addedFields: [])
        let line = Array("X-Filler: \(String(repeating: "f", count: 1000))\r\n".utf8)
        var held = 0
        #expect(throws: SubmissionHeaderSection.Failure.tooLong) {
            for _ in 0..<(SubmissionHeaderSection.maximumSize / line.count + 2) {
                held += try section.process(line).count
            }
        }
        #expect(held == 0, "nothing is written before the section ends")
    }
}

/// `HeaderAddressList`: RFC 5322 address lists for `-t`.
@Suite struct MaildropHeaderAddressListTests {
    @Test(arguments: [
        ("bob@example.com", ["bob@example.com"]),
        ("Bob Smith <bob@example.com>", ["bob@example.com"]),
        ("\"Smith, Bob\" <bob@example.com>, carol@example.com", ["bob@example.com", "carol@example.com"]),
        ("bob@example.com (Bob, the builder)", ["bob@example.com"]),
        ("(comment (nested)) bob @ example . com", ["bob@example.com"]),
        ("team: a@example.com, B <b@example.com>;, c@example.com", ["a@example.com", "b@example.com", "c@example.com"]),
        ("undisclosed-recipients:;", []),
        ("", []),
        (" , ,bob@example.com,", ["bob@example.com"]),
        ("<@relay.example:bob@example.com>", ["bob@example.com"]),
        ("\"odd name\"@example.com", ["\"odd name\"@example.com"]),
        ("bob@[192.0.2.1]", ["bob@[192.0.2.1]"]),
        ("root", ["root"]),
        ("Root User <root>", ["root"]),
        ("jörg@bücher.example", ["jörg@bücher.example"]),
        ("first.last@example.com", ["first.last@example.com"]),
    ])
    func addressesAreFound(value: String, addresses: [String]) throws {
        #expect(try HeaderAddressList.addresses(in: value) == addresses)
    }

    @Test(arguments: [
        "Bob <bob@example.com", "bob@example.com>", "<a@b> <c@d>", "Bob <bob@example.com> extra",
        "\"unterminated@example.com", "(open comment bob@example.com", "a..b@example.com", "bob@", "@example.com",
        "John Smith", "a@b@c", "<>", "team: a@example.com; ;", "x: y: z@example.com;",
    ])
    func malformedListsAreRefused(value: String) {
        #expect(throws: HeaderAddressList.Malformed.self) { try HeaderAddressList.addresses(in: value) }
    }
}
