import TernSMTPCore
import Testing

/// A message's text is made ready to send, and what it needs of the peer read off it.
@Suite struct MessageTextTests {
    @Test(arguments: [
        ("a\nb\n", "a\r\nb\r\n"),
        ("a\r\nb\r\n", "a\r\nb\r\n"),
        ("a\rb\r", "a\r\nb\r\n"),
        ("a\r\rb", "a\r\n\r\nb\r\n"),
        ("a\n\r\nb", "a\r\n\r\nb\r\n"),
        ("no end", "no end\r\n"),
        ("", ""),
        (".\n..\n", ".\r\n..\r\n"),
    ])
    func lineEndingsBecomeCRLF(_ input: String, _ expected: String) {
        #expect(MessageText(input).bytes == Array(expected.utf8))
    }

    @Test func needsComeFromTheText() {
        let ascii = MessageText("Subject: hi\n\nbody\n")
        #expect(!ascii.needs8bit && !ascii.needsSMTPUTF8)
        let body = MessageText("Subject: hi\n\nGrüße\n")
        #expect(body.needs8bit && !body.needsSMTPUTF8)
        let header = MessageText("Subject: Grüße\n\nbody\n")
        #expect(header.needs8bit && header.needsSMTPUTF8)
        let noBody = MessageText("Subject: Grüße\n")
        #expect(noBody.needsSMTPUTF8)
    }

    @Test func anOutboundMessageTakesItsSizeAndNeedsFromTheText() {
        let text = MessageText("Subject: Grüße\n\nx\n")
        let message = OutboundMessage(
            id: "1", sender: .null,
            recipients: [OutboundRecipient(path: .postmaster)], text: text)
        #expect(message.size == text.bytes.count && message.needs8bit && message.needsSMTPUTF8)
    }
}
