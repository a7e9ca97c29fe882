import Foundation
import Testing
import TernMessage
import TernSMTPCore
import TernSpool
import TernTestSupport

@Suite struct EnvelopeRecordTests {
    private static let delivered = Date(timeIntervalSince1970: 1_795_940_000.5)

    /// An envelope using every field and every kind of value the record must carry.
    private static func fullEnvelope() -> Envelope {
        var envelope = SpoolFixtures.envelope(
            sender: .mailbox(Mailbox(localPart: "john \"q\" doe\\x", domain: .name("Example.ORG"))),
            recipients: [
                EnvelopeRecipient(
                    original: .mailbox(Mailbox(localPart: "a@b%c <d>;e,f", domain: .addressLiteral("192.0.2.7"))),
                    parameters: RcptParameters(
                        notify: [.success, .delay],
                        originalRecipient: OriginalRecipient(addressType: "rfc822", address: "a@b; c=d%\r\n")),
                    target: .local(Mailbox(localPart: "a@b%c <d>;e,f", domain: .addressLiteral("192.0.2.7"))),
                    status: .pending),
                EnvelopeRecipient(
                    original: .postmaster,
                    parameters: RcptParameters(notify: .never),
                    target: .local(Mailbox(localPart: "postmaster", domain: .name("example.com"))),
                    status: .delivered(delivered)),
                EnvelopeRecipient(
                    original: .mailbox(Mailbox(localPart: "用户", domain: .name("例子.广告"))),
                    target: .remote(Mailbox(localPart: "用户", domain: .name("例子.广告"))),
                    status: .deferred("451 4.4.1 connection refused\nretry"), remoteMTA: "mx.例子.广告",
                    reportsSent: [.delay]),
                EnvelopeRecipient(
                    original: .mailbox(Mailbox(localPart: "v6", domain: .addressLiteral("IPv6:2001:db8::1"))),
                    target: .remote(Mailbox(localPart: "v6", domain: .addressLiteral("IPv6:2001:db8::1"))),
                    status: .failed("550 5.1.1 no such user: \u{7F}%41"), remoteMTA: "2001:db8::1 %\n",
                    reportsSent: [.delay, .final]),
                EnvelopeRecipient(
                    original: .mailbox(Mailbox(localPart: "", domain: .name("example.com"))),
                    target: .local(Mailbox(localPart: "", domain: .name("example.com"))),
                    status: .failed("")),
            ])
        envelope.parameters = MailParameters(
            size: 12_345, body: .eightBitMIME, smtpUTF8: true, ret: .headers, envelopeID: "env id+2B\u{0}x",
            auth: "<>", transactionID: "<t1@example.org>")
        envelope.clientName = "[IPv6:2001:db8::2] \"weird\" helo"
        envelope.clientAddress = "2001:db8::2"
        envelope.protocolName = "UTF8SMTPSA"
        envelope.size = 987_654
        envelope.attempts = 3
        envelope.nextAttempt = Date(timeIntervalSince1970: 1_795_943_365.000001)
        envelope.held = true
        return envelope
    }

    @Test func everyFieldRoundTrips() throws {
        let envelope = Self.fullEnvelope()
        #expect(try EnvelopeRecord.decode(EnvelopeRecord.encode(envelope)) == envelope)
    }

    @Test func minimalEnvelopeWithNullSenderRoundTrips() throws {
        let envelope = SpoolFixtures.envelope(sender: .null, recipients: [])
        #expect(try EnvelopeRecord.decode(EnvelopeRecord.encode(envelope)) == envelope)
    }

    @Test(arguments: [
        RecipientStatus.pending, .delivered(delivered), .failed("no such user"), .deferred("disk full"),
        .failed(" spaces  and\ttabs "), .deferred("%%%"),
    ])
    func everyStatusRoundTrips(_ status: RecipientStatus) throws {
        var recipient = SpoolFixtures.localRecipient("bob")
        recipient.status = status
        let envelope = SpoolFixtures.envelope(recipients: [recipient])
        #expect(try EnvelopeRecord.decode(EnvelopeRecord.encode(envelope)).recipients == [recipient])
    }

    @Test(arguments: [
        "plain", "john.doe", "\"quoted\"", "with space", "a@b", "100%", "line\r\nbreak", "tab\there", "ünïcödé",
        "<angle>", "[square]", "semi;colon,comma", "Postmaster",
    ])
    func localPartsRoundTrip(_ localPart: String) throws {
        let mailbox = Mailbox(localPart: localPart, domain: .name("example.com"))
        let envelope = SpoolFixtures.envelope(
            sender: .mailbox(mailbox),
            recipients: [EnvelopeRecipient(original: .mailbox(mailbox), target: .remote(mailbox))])
        #expect(try EnvelopeRecord.decode(EnvelopeRecord.encode(envelope)) == envelope)
    }

    @Test func recordIsReadableText() {
        let text = String(decoding: EnvelopeRecord.encode(Self.fullEnvelope()), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == "TERN-ENVELOPE 1")
        #expect(lines.last == "")
        #expect(lines.dropLast().last?.hasPrefix("END ") == true)
        #expect(lines.contains("sender: <john%20\"q\"%20doe\\x@Example.ORG>"))
        #expect(lines.contains("rcpt: <a%40b%25c%20%3Cd%3E%3Be%2Cf@[192.0.2.7]>"))
        #expect(lines.contains("rcpt: <Postmaster>"))
        #expect(lines.contains("rcpt-target: remote <用户@例子.广告>"))
        #expect(lines.contains("rcpt-notify: SUCCESS,DELAY"))
        #expect(lines.contains("rcpt-status: deferred 451 4.4.1 connection refused%0Aretry"))
        #expect(lines.contains("received-at: 2026-11-29T08:09:25.123456Z"))
        #expect(lines.contains("mail-envid: env id+2B%00x"))
    }

    @Test func versionIsChecked() {
        var bytes = EnvelopeRecord.encode(SpoolFixtures.envelope())
        bytes[14] = UInt8(ascii: "2")
        #expect(throws: EnvelopeRecordError.unsupportedVersion("TERN-ENVELOPE 2")) { try EnvelopeRecord.decode(bytes) }
        #expect(throws: EnvelopeRecordError.unsupportedVersion("")) { try EnvelopeRecord.decode([]) }
    }

    @Test func truncatedRecordHasNoEnd() {
        let bytes = EnvelopeRecord.encode(SpoolFixtures.envelope())
        for cut in [bytes.count - 1, bytes.count - 20, 16, 40] {
            #expect(throws: EnvelopeRecordError.missingEnd) { try EnvelopeRecord.decode(Array(bytes.prefix(cut))) }
        }
    }

    @Test func damageIsCaughtByTheChecksum() {
        let bytes = EnvelopeRecord.encode(SpoolFixtures.envelope())
        var damaged = bytes
        let index = bytes.firstIndex(of: UInt8(ascii: "@"))!
        damaged[index - 1] ^= 0x01
        #expect(throws: EnvelopeRecordError.checksumMismatch) { try EnvelopeRecord.decode(damaged) }
        var badSum = bytes
        badSum[bytes.count - 2] = badSum[bytes.count - 2] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        #expect(throws: EnvelopeRecordError.checksumMismatch) { try EnvelopeRecord.decode(badSum) }
    }

    /// A record with a valid checksum around the given field lines.
    private static func record(_ lines: [String]) -> [UInt8] {
        var bytes = Array((["TERN-ENVELOPE 1"] + lines).map { $0 + "\n" }.joined().utf8)
        let sum = String(CRC32.checksum(bytes), radix: 16)
        bytes += Array("END \(String(repeating: "0", count: 8 - sum.count) + sum)\n".utf8)
        return bytes
    }

    private static let validFields = [
        "id: 0AAAAAAAAAAAAAAA", "received-at: 2026-11-29T08:09:25.123456Z", "client-name: c", "client-address: 1",
        "protocol: SMTP", "sender: <>", "mail-smtputf8: no", "size: 0", "attempts: 0",
    ]

    @Test func validFieldsAlonePass() throws {
        let envelope = try EnvelopeRecord.decode(Self.record(Self.validFields))
        #expect(envelope.sender == .null)
        #expect(envelope.recipients.isEmpty)
    }

    @Test(arguments: [
        ("size: -1", 10, "size"), ("size: 1x", 10, "size"), ("attempts: +1", 10, "attempts"),
        ("sender: bob@example.com", 10, "sender"), ("mail-body: 9BIT", 11, "mail-body"),
        ("mail-smtputf8: maybe", 11, "mail-smtputf8"), ("mail-envid: bad%zz", 11, "mail-envid"),
        ("next-attempt: tomorrow", 11, "next-attempt"), ("colour: blue", 11, "colour"),
        ("no separator", 11, "no separator"), ("rcpt-status: pending", 11, "rcpt-status"),
        ("id: 0AAAAAAAAAAAAAAB", 11, "id"),
    ])
    func badFieldsAreNamed(_ line: String, _ lineNumber: Int, _ key: String) {
        var lines = Self.validFields
        let replaced = String(line.prefix(while: { $0 != ":" }))
        if ["size", "attempts", "sender"].contains(replaced) {
            lines.removeAll { $0.hasPrefix(replaced + ":") }
        }
        lines.append(line)
        #expect(throws: EnvelopeRecordError.badField(line: lineNumber, key: key)) {
            try EnvelopeRecord.decode(Self.record(lines))
        }
    }

    @Test func badRecipientFields() {
        let recipient = ["rcpt: <Postmaster>", "rcpt-target: local <postmaster@example.com>", "rcpt-status: pending"]
        #expect(throws: Never.self) { try EnvelopeRecord.decode(Self.record(Self.validFields + recipient)) }
        #expect(throws: EnvelopeRecordError.missingField("rcpt-status", recipient: 1)) {
            try EnvelopeRecord.decode(Self.record(Self.validFields + recipient.dropLast()))
        }
        #expect(throws: EnvelopeRecordError.badField(line: 13, key: "rcpt-status")) {
            try EnvelopeRecord.decode(Self.record(Self.validFields + recipient.dropLast() + ["rcpt-status: lost"]))
        }
        #expect(throws: EnvelopeRecordError.badField(line: 14, key: "rcpt-status")) {
            try EnvelopeRecord.decode(Self.record(Self.validFields + recipient + ["rcpt-status: pending"]))
        }
        #expect(throws: EnvelopeRecordError.badField(line: 12, key: "rcpt-target")) {
            try EnvelopeRecord.decode(
                Self.record(Self.validFields + ["rcpt: <Postmaster>", "rcpt-target: elsewhere <a@b>"]))
        }
        #expect(throws: EnvelopeRecordError.badField(line: 12, key: "rcpt-notify")) {
            try EnvelopeRecord.decode(Self.record(Self.validFields + ["rcpt: <Postmaster>", "rcpt-notify: SOMETIMES"]))
        }
        #expect(throws: EnvelopeRecordError.badField(line: 11, key: "rcpt")) {
            try EnvelopeRecord.decode(Self.record(Self.validFields + ["rcpt: <nobody>"]))
        }
    }

    @Test func missingMessageFieldIsNamed() {
        let lines = Self.validFields.filter { !$0.hasPrefix("protocol:") }
        #expect(throws: EnvelopeRecordError.missingField("protocol", recipient: nil)) {
            try EnvelopeRecord.decode(Self.record(lines))
        }
    }
}
