import Foundation
import NIOCore
import TernMessage
import TernSMTPCore

/// The inputs of the hot-path benchmarks, built once before any measurement: what a client
/// sends, what the server answers, what the spool stores.
enum Inputs {
    // MARK: Command lines, as the framer hands them to the session (no CRLF)

    static let mail = "MAIL FROM:<alice.sender@mail.example.org> SIZE=48213 BODY=8BITMIME"
    static let rcpt = "RCPT TO:<bob.recipient@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob.recipient@example.com"
    static let ehlo = "EHLO client.mail.example.org"

    /// A line as the framer cuts it: the octets of one `ByteBuffer`.
    static func line(_ text: String) -> ByteBuffer {
        ByteBuffer(string: text)
    }

    // MARK: The command phase of a pipelined transaction (RFC 2920)

    /// MAIL, three RCPT and DATA, sent in one go after the EHLO reply.
    static let pipelinedTransaction: String = [
        mail,
        rcpt,
        "RCPT TO:<carol@example.com> NOTIFY=FAILURE,DELAY",
        "RCPT TO:<dave@example.net>",
        "DATA",
    ].map { $0 + "\r\n" }.joined()

    /// The pipelined transaction in one read.
    static let pipelinedRead = ByteBuffer(string: pipelinedTransaction)

    /// The same octets in two reads, cut inside the first RCPT line (a segment boundary).
    static let pipelinedSplitReads: [ByteBuffer] = {
        let bytes = Array(pipelinedTransaction.utf8)
        let cut = mail.utf8.count + 2 + 40
        return [ByteBuffer(bytes: bytes[..<cut]), ByteBuffer(bytes: bytes[cut...])]
    }()

    // MARK: DATA text as sent: dot-stuffed, ending with CRLF.CRLF (RFC 5321 §4.5.2)

    /// A plain-text message of at least `size` octets on the wire, header and body, whose lines
    /// starting with a dot (every 16th body line) are stuffed, and the end-of-data line.
    static func stuffedMessage(size: Int) -> ByteBuffer {
        var text = """
            Received: from client.mail.example.org (client.mail.example.org [192.0.2.25])\r
            \tby mx.example.com (Tern) with ESMTPS id 0J5XK2M3A1B2C3D4\r
            \tfor <bob.recipient@example.com>; Sun, 29 Nov 2026 08:09:25 +0000\r
            From: Alice Sender <alice.sender@mail.example.org>\r
            To: Bob Recipient <bob.recipient@example.com>\r
            Subject: Quarterly figures, second draft\r
            Date: Sun, 29 Nov 2026 09:09:24 +0100\r
            Message-ID: <20261129080924.4711@mail.example.org>\r
            MIME-Version: 1.0\r
            Content-Type: text/plain; charset=utf-8\r
            Content-Transfer-Encoding: 8bit\r
            \r

            """
        var line = 0
        while text.utf8.count < size - 5 {
            if line % 16 == 15 {
                // A line that starts with a dot goes out with a second one (RFC 5321 §4.5.2).
                text += "..\(line) items were moved to the archive, see the attached summary.\r\n"
            } else {
                text += "Line \(line) of the report: revenue, costs and the outlook for next quarter.\r\n"
            }
            line += 1
        }
        text += ".\r\n"
        return ByteBuffer(string: text)
    }

    static let data4KiB = stuffedMessage(size: 4 * 1024)
    static let data100KiB = stuffedMessage(size: 100 * 1024)

    /// `message` cut into reads of `size` octets, as a socket hands them over.
    static func reads(of message: ByteBuffer, size: Int) -> [ByteBuffer] {
        var message = message
        var reads: [ByteBuffer] = []
        while message.readableBytes > 0 {
            reads.append(message.readSlice(length: min(size, message.readableBytes))!)
        }
        return reads
    }

    static let data100KiBReads = reads(of: data100KiB, size: 8 * 1024)

    // MARK: Replies

    /// The 250 after the text: one line.
    static let queuedReply = Reply.queued(QueueID("0J5XK2M3A1B2C3D4")!)

    /// The EHLO reply of an `mx` listener with TLS and AUTH: eleven lines.
    static let ehloReply = Reply.ehlo("mx.example.com", client: "client.mail.example.org", keywords: [
        "PIPELINING", "SIZE 52428800", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "CHUNKING", "DSN",
        "ETRN", "STARTTLS", "AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256", "HELP",
    ])

    // MARK: Envelopes as the spool keeps them

    static func mailbox(_ localPart: String, _ domain: String) -> Mailbox {
        Mailbox(localPart: localPart, domain: .name(domain))
    }

    /// A message from the pipelined transaction after its first attempt: local copies
    /// delivered or pending, remote ones deferred.
    static func envelope(recipients count: Int) -> Envelope {
        let attempted = Date(timeIntervalSince1970: 1_795_940_065.654321)
        let recipients: [EnvelopeRecipient] = [
            EnvelopeRecipient(
                original: .mailbox(mailbox("bob.recipient", "example.com")),
                parameters: RcptParameters(
                    notify: [.success, .failure],
                    originalRecipient: OriginalRecipient(addressType: "rfc822", address: "bob.recipient@example.com")),
                target: .local(mailbox("bob.recipient", "example.com")), status: .delivered(attempted)),
            EnvelopeRecipient(
                original: .mailbox(mailbox("carol", "example.com")), parameters: RcptParameters(notify: [.failure, .delay]),
                target: .local(mailbox("carol", "example.com"))),
            EnvelopeRecipient(
                original: .mailbox(mailbox("dave", "example.net")), target: .remote(mailbox("dave", "example.net")),
                status: .deferred("451 4.7.1 Greylisted, please try again later"), remoteMTA: "mx1.example.net"),
            EnvelopeRecipient(
                original: .mailbox(mailbox("erin.o'hara", "example.net")),
                target: .remote(mailbox("erin.o'hara", "example.net")),
                status: .deferred("421 4.4.2 mx1.example.net Connection timed out"), remoteMTA: "mx1.example.net"),
            EnvelopeRecipient(original: .postmaster, target: .local(mailbox("postmaster", "example.com"))),
        ]
        return Envelope(
            id: QueueID(spoolFormat: "0J5XK2M3A1B2C3D4")!,
            sender: .mailbox(mailbox("alice.sender", "mail.example.org")),
            recipients: Array(recipients.prefix(count)),
            parameters: MailParameters(size: 48213, body: .eightBitMIME, ret: .headers,
                                       envelopeID: "QQ314159@mail.example.org"),
            clientName: "client.mail.example.org", clientAddress: "192.0.2.25", protocolName: "ESMTPS",
            tls: "TLSv1.3", receivedAt: Date(timeIntervalSince1970: 1_795_939_765.123456), size: 48213,
            attempts: 1, nextAttempt: Date(timeIntervalSince1970: 1_795_940_965.5))
    }
}
