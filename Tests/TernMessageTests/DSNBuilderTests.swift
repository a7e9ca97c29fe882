import Foundation
import NIOCore
import NIOConcurrencyHelpers
import Testing
import TernMessage
import TernSMTPCore
import TernTestSupport

/// The host name reports are sent from.
private let testHost = "mx.example.com"

/// Tokens `T1`, `T2`, ... so boundaries and message ids are known in advance.
private func countingTokens() -> @Sendable () -> String {
    let counter = NIOLockedValueBox(0)
    return {
        counter.withLockedValue { count in
            count += 1
            return "T\(count)"
        }
    }
}

private let builder = DSNBuilder(reportingHost: testHost, makeToken: countingTokens())
private let reportDate = Date(timeIntervalSince1970: 1_796_026_165)  // Mon, 30 Nov 2026 08:09:25 +0000
private let attemptDate = Date(timeIntervalSince1970: 1_796_025_600)  // Mon, 30 Nov 2026 08:00:00 +0000
private let originalMessage = "Received: from a\r\n\tby b; Sun, 29 Nov 2026 08:09:25 +0000\r\n"
    + "Subject: hello\r\nFrom: alice@example.org\r\n\r\nBody line\r\n\r\nSecond paragraph\r\n"

private func status(_ text: String) -> DSNStatus {
    DSNStatus(text)!
}

private func remoteRecipient(
    _ localPart: String, _ domain: String = "example.net", notify: NotifyConditions? = nil,
    orcpt: OriginalRecipient? = nil
) -> EnvelopeRecipient {
    let mailbox = SpoolFixtures.mailbox(localPart, domain)
    return EnvelopeRecipient(
        original: .mailbox(mailbox), parameters: RcptParameters(notify: notify, originalRecipient: orcpt),
        target: .remote(mailbox))
}

/// The whole report with the original passed through its filter in chunks of `chunkSize` octets.
private func render(_ report: DSNReport, original: String = originalMessage, chunkSize: Int = 7) -> String {
    var content = report.makeReturnedContent()
    var bytes = report.prefix
    let original = Array(original.utf8)
    var start = 0
    while start < original.count {
        let end = min(start + chunkSize, original.count)
        bytes += content.take(ByteBuffer(bytes: original[start..<end]))
        start = end
    }
    bytes += content.finish() + report.suffix
    return String(decoding: bytes, as: UTF8.self)
}

/// Every line ends in CRLF and none is longer than 998 octets.
private func expectWellFormedLines(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(text.hasSuffix("\r\n"), sourceLocation: sourceLocation)
    #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"), sourceLocation: sourceLocation)
    #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\r"), sourceLocation: sourceLocation)
    for line in text.components(separatedBy: "\r\n") {
        #expect(line.utf8.count <= 998, sourceLocation: sourceLocation)
    }
}

@Suite struct DSNBuilderTests {
    @Test func failureReportCarriesEveryField() throws {
        var envelope = SpoolFixtures.envelope(recipients: [
            remoteRecipient("bob", orcpt: OriginalRecipient(addressType: "rfc822", address: "Bob@example.net"))
        ])
        envelope.parameters.envelopeID = "QQ314159"
        let failure = DSNRecipientReport(
            recipient: envelope.recipients[0], action: .failed, status: status("5.1.1"),
            diagnostic: DSNDiagnostic(text: "550 5.1.1 <bob@example.net>: user unknown"),
            remoteMTA: "mx.example.net", lastAttempt: attemptDate)
        let report = try #require(builder.report(for: envelope, recipients: [failure], date: reportDate))

        #expect(report.reversePath == .null)
        #expect(report.recipient == SpoolFixtures.mailbox("alice", "example.org"))
        #expect(report.parameters == MailParameters())
        #expect(report.returned == .headers)
        let text = render(report)
        expectWellFormedLines(text)

        let message = DSNMessageParser(text)
        #expect(message.field("From") == "Mail Delivery System <MAILER-DAEMON@mx.example.com>")
        #expect(message.field("To") == "<alice@example.org>")
        #expect(message.field("Subject") == "Undelivered Mail Returned to Sender")
        #expect(message.field("Date") == "Mon, 30 Nov 2026 08:09:25 +0000")
        #expect(message.field("Message-ID") == report.messageID)
        #expect(report.messageID.hasPrefix("<dsn.\(envelope.id)."))
        #expect(report.messageID.hasSuffix("@mx.example.com>"))
        #expect(message.field("Auto-Submitted") == "auto-replied")
        #expect(message.field("MIME-Version") == "1.0")
        let contentType = try #require(message.field("Content-Type"))
        #expect(contentType.hasPrefix("multipart/report; report-type=delivery-status;"))
        #expect(message.field("Content-Transfer-Encoding") == nil)

        let multipart = try #require(message.multipart())
        #expect(multipart.closed)
        #expect(multipart.parts.count == 3)
        let (notice, statusPart, returned) = (multipart.parts[0], multipart.parts[1], multipart.parts[2])

        #expect(notice.field("Content-Type") == "text/plain; charset=us-ascii")
        #expect(notice.body.contains("host mx.example.com"))
        #expect(notice.body.contains("<bob@example.net>: delivery failed permanently (5.1.1)"))
        #expect(notice.body.contains("mx.example.net said: 550 5.1.1 <bob@example.net>: user unknown"))
        #expect(notice.body.contains("Its header section is attached."))

        #expect(statusPart.field("Content-Type") == "message/delivery-status")
        let groups = statusPart.statusGroups
        #expect(groups.count == 2)
        #expect(groups[0].fields.map(\.name) == [
            "Original-Envelope-Id", "Reporting-MTA", "Arrival-Date", "X-Tern-Queue-ID",
        ])
        #expect(groups[0].field("Original-Envelope-Id") == "QQ314159")
        #expect(groups[0].field("Reporting-MTA") == "dns; mx.example.com")
        #expect(groups[0].field("Arrival-Date") == "Sun, 29 Nov 2026 08:09:25 +0000")
        #expect(groups[0].field("X-Tern-Queue-ID") == envelope.id.description)
        #expect(groups[1].fields.map(\.name) == [
            "Original-Recipient", "Final-Recipient", "Action", "Status", "Remote-MTA", "Diagnostic-Code",
            "Last-Attempt-Date",
        ])
        #expect(groups[1].field("Original-Recipient") == "rfc822; Bob@example.net")
        #expect(groups[1].field("Final-Recipient") == "rfc822; bob@example.net")
        #expect(groups[1].field("Action") == "failed")
        #expect(groups[1].field("Status") == "5.1.1")
        #expect(groups[1].field("Remote-MTA") == "dns; mx.example.net")
        #expect(groups[1].field("Diagnostic-Code") == "smtp; 550 5.1.1 <bob@example.net>: user unknown")
        #expect(groups[1].field("Last-Attempt-Date") == "Mon, 30 Nov 2026 08:00:00 +0000")

        #expect(returned.field("Content-Type") == "text/rfc822-headers")
        #expect(returned.body == "Received: from a\r\n\tby b; Sun, 29 Nov 2026 08:09:25 +0000\r\n"
            + "Subject: hello\r\nFrom: alice@example.org\r\n")
    }

    @Test func boundaryAndMessageIDComeFromTheTokenSource() throws {
        let local = DSNBuilder(reportingHost: testHost, makeToken: countingTokens())
        let envelope = SpoolFixtures.envelope()
        let failure = DSNRecipientReport(recipient: envelope.recipients[0], action: .failed, status: status("5.2.1"))
        let report = try #require(local.report(for: envelope, recipients: [failure], date: reportDate))
        let message = DSNMessageParser(render(report))
        #expect(message.boundary == "=_Tern_T1")
        #expect(report.messageID == "<dsn.\(envelope.id).T2@mx.example.com>")
        #expect(report.suffix == Array("\r\n--=_Tern_T1--\r\n".utf8))
    }

    @Test(arguments: [
        (nil, DSNAction.failed, true), (nil, .delayed, true), (nil, .delivered, false), (nil, .relayed, false),
        (nil, .expanded, false),
        (NotifyConditions.never, .failed, false), (.never, .delayed, false), (.never, .delivered, false),
        (.success, .failed, false), (.success, .delayed, false), (.success, .delivered, true),
        (.success, .relayed, true), (.success, .expanded, true),
        (.failure, .failed, true), (.failure, .delayed, false), (.failure, .delivered, false),
        (.delay, .failed, false), (.delay, .delayed, true), (.delay, .relayed, false),
        ([.success, .failure, .delay], .failed, true), ([.success, .failure, .delay], .delayed, true),
        ([.success, .failure, .delay], .delivered, true),
    ] as [(NotifyConditions?, DSNAction, Bool)])
    func notifyDecidesWhatIsReported(notify: NotifyConditions?, action: DSNAction, reported: Bool) {
        let envelope = SpoolFixtures.envelope(recipients: [remoteRecipient("bob", notify: notify)])
        let code = action == .failed ? "5.0.0" : action == .delayed ? "4.0.0" : "2.0.0"
        let outcome = DSNRecipientReport(recipient: envelope.recipients[0], action: action, status: status(code))
        #expect(outcome.isRequested == reported)
        #expect(DSNBuilder.reportedRecipients([outcome], for: envelope) == (reported ? [outcome] : []))
        #expect((builder.report(for: envelope, recipients: [outcome], date: reportDate) != nil) == reported)
    }

    @Test func theNullSenderNeverGetsAReport() {
        let envelope = SpoolFixtures.envelope(sender: .null, recipients: [remoteRecipient("bob", notify: .success)])
        let reports = DSNAction.allCases.map {
            DSNRecipientReport(recipient: envelope.recipients[0], action: $0, status: status("5.0.0"))
        }
        #expect(DSNBuilder.reportedRecipients(reports, for: envelope).isEmpty)
        #expect(builder.report(for: envelope, recipients: reports, date: reportDate) == nil)
    }

    @Test func retFullReturnsTheWholeMessage() throws {
        var envelope = SpoolFixtures.envelope(recipients: [remoteRecipient("bob")])
        envelope.parameters.ret = .full
        let failure = DSNRecipientReport(recipient: envelope.recipients[0], action: .failed, status: status("5.1.1"))
        let report = try #require(builder.report(for: envelope, recipients: [failure], date: reportDate))
        #expect(report.returned == .full)
        let text = render(report, chunkSize: 1)
        expectWellFormedLines(text)
        let parts = try #require(DSNMessageParser(text).multipart()).parts
        #expect(parts[2].field("Content-Type") == "message/rfc822")
        #expect(parts[2].body == originalMessage)
        #expect(parts[0].body.contains("The message is attached."))
    }

    @Test func envelopeIDIsXtextEncoded() throws {
        var envelope = SpoolFixtures.envelope()
        envelope.parameters.envelopeID = "a+b=c d\u{7}é!~"
        let failure = DSNRecipientReport(recipient: envelope.recipients[0], action: .failed, status: status("5.1.1"))
        let report = try #require(builder.report(for: envelope, recipients: [failure], date: reportDate))
        let text = render(report)
        let statusPart = try #require(DSNMessageParser(text).multipart()).parts[1]
        #expect(statusPart.statusGroups[0].field("Original-Envelope-Id") == "a+2Bb+3Dc+20d+07+E9!~")
        #expect(text.utf8.allSatisfy { $0 < 0x80 })
    }

    @Test func recipientsWithDifferentActionsGetOneGroupEach() throws {
        let recipients = [
            remoteRecipient("gone"), remoteRecipient("slow"), remoteRecipient("quiet", notify: .never),
            EnvelopeRecipient(
                original: .mailbox(SpoolFixtures.mailbox("Carol")), parameters: RcptParameters(notify: .success),
                target: .local(SpoolFixtures.mailbox("carol"))),
            EnvelopeRecipient(
                original: .mailbox(SpoolFixtures.mailbox("fwd")), parameters: RcptParameters(notify: [.success, .failure]),
                target: .remote(SpoolFixtures.mailbox("dave", "other.example"))),
        ]
        let envelope = SpoolFixtures.envelope(recipients: recipients)
        let retryUntil = Date(timeIntervalSince1970: 1_796_371_765)  // Fri, 4 Dec 2026 08:09:25 +0000
        let outcomes = [
            DSNRecipientReport(
                recipient: recipients[0], action: .failed, status: status("5.1.1"),
                diagnostic: DSNDiagnostic(text: "550 5.1.1 no such user"), remoteMTA: "mx.example.net",
                lastAttempt: attemptDate),
            DSNRecipientReport(
                recipient: recipients[1], action: .delayed, status: status("4.4.1"),
                diagnostic: DSNDiagnostic(type: "x-tern", text: "connection refused"), lastAttempt: attemptDate,
                willRetryUntil: retryUntil),
            DSNRecipientReport(recipient: recipients[2], action: .failed, status: status("5.1.1")),
            DSNRecipientReport(recipient: recipients[3], action: .delivered, status: status("2.0.0")),
            DSNRecipientReport(recipient: recipients[4], action: .relayed, status: status("2.0.0"), remoteMTA: "mx.other.example"),
        ]
        let report = try #require(builder.report(for: envelope, recipients: outcomes, date: reportDate))
        let text = render(report)
        expectWellFormedLines(text)
        let message = DSNMessageParser(text)
        #expect(message.field("Subject") == "Delivery Status Notification (failure, delay, success)")
        let parts = try #require(message.multipart()).parts
        let groups = parts[1].statusGroups.dropFirst()
        #expect(groups.map { $0.field("Final-Recipient") } == [
            "rfc822; gone@example.net", "rfc822; slow@example.net", "rfc822; carol@example.com",
            "rfc822; dave@other.example",
        ])
        #expect(groups.map { $0.field("Action") } == ["failed", "delayed", "delivered", "relayed"])
        #expect(groups.map { $0.field("Status") } == ["5.1.1", "4.4.1", "2.0.0", "2.0.0"])
        #expect(groups.map { $0.field("Remote-MTA") } == ["dns; mx.example.net", nil, nil, "dns; mx.other.example"])
        #expect(groups.map { $0.field("Diagnostic-Code") } == [
            "smtp; 550 5.1.1 no such user", "x-tern; connection refused", nil, nil,
        ])
        #expect(groups.map { $0.field("Will-Retry-Until") } == [nil, "Fri, 4 Dec 2026 08:09:25 +0000", nil, nil])
        #expect(groups.allSatisfy { $0.field("Original-Recipient") == nil })

        let notice = parts[0].body
        #expect(notice.contains("could not be delivered"))
        #expect(notice.contains("not been delivered yet"))
        #expect(notice.contains("<slow@example.net>: delivery delayed, still trying until Fri, 4 Dec 2026\r\n    08:09:25 +0000 (4.4.1)"))
        #expect(notice.contains("Reason: connection refused"))
        #expect(notice.contains("<Carol@example.com>: delivered (2.0.0)"))
        #expect(notice.contains("<fwd@example.com> (forwarded to <dave@other.example>): relayed"))
        #expect(!notice.contains("quiet"))
    }

    @Test(arguments: [
        (DSNAction.delayed, "Delayed Mail (still being retried)"),
        (.delivered, "Successful Mail Delivery Report"), (.expanded, "Successful Mail Delivery Report"),
    ])
    func subjectSaysWhatHappened(action: DSNAction, subject: String) throws {
        let envelope = SpoolFixtures.envelope(recipients: [remoteRecipient("bob", notify: [.success, .delay])])
        let outcome = DSNRecipientReport(recipient: envelope.recipients[0], action: action, status: status("2.0.0"))
        let report = try #require(builder.report(for: envelope, recipients: [outcome], date: reportDate))
        #expect(DSNMessageParser(render(report)).field("Subject") == subject)
    }

    @Test func longDiagnosticsAreFoldedAndUnfoldBackExactly() throws {
        let envelope = SpoolFixtures.envelope(recipients: [remoteRecipient("bob")])
        let reply = "550-5.7.1 [192.0.2.25] The IP you're using to send mail is not authorized to send email"
            + " directly to our servers. Please use the SMTP relay at your service provider instead. Learn more"
            + " at https://support.example.net/mail/?p=NotAuthorizedError q7si1234567qkb.123 - gsmtp"
        let failure = DSNRecipientReport(
            recipient: envelope.recipients[0], action: .failed, status: status("5.7.1"),
            diagnostic: DSNDiagnostic(text: reply), remoteMTA: "mx.example.net")
        let report = try #require(builder.report(for: envelope, recipients: [failure], date: reportDate))
        let text = render(report)
        expectWellFormedLines(text)
        let statusPart = try #require(DSNMessageParser(text).multipart()).parts[1]
        let group = statusPart.statusGroups[1]
        #expect(group.field("Diagnostic-Code") == "smtp; \(reply)")
        let raw = group.rawHeaderLines.drop { !$0.hasPrefix("Diagnostic-Code:") }.prefix { !$0.hasPrefix("Last") }
        #expect(raw.count > 1)
        #expect(raw.allSatisfy { $0.utf8.count <= 78 })
        #expect(raw.dropFirst().allSatisfy { $0.hasPrefix(" ") })
        let notice = try #require(DSNMessageParser(text).multipart()).parts[0].body
        #expect(notice.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 76 })
    }

    @Test func aWordLongerThanALineIsCutAtTheLineLimit() throws {
        let envelope = SpoolFixtures.envelope(recipients: [remoteRecipient("bob")])
        let word = String(repeating: "x", count: 2_500)
        let failure = DSNRecipientReport(
            recipient: envelope.recipients[0], action: .failed, status: status("5.0.0"),
            diagnostic: DSNDiagnostic(text: "550 \(word)"))
        let report = try #require(builder.report(for: envelope, recipients: [failure], date: reportDate))
        let text = render(report)
        expectWellFormedLines(text)
        let group = try #require(DSNMessageParser(text).multipart()).parts[1].statusGroups[1]
        #expect(group.field("Diagnostic-Code")?.replacingOccurrences(of: " ", with: "") == "smtp;550\(word)")
    }

    @Test func controlCharactersNeverBreakALine() throws {
        let envelope = SpoolFixtures.envelope(recipients: [remoteRecipient("bob")])
        let failure = DSNRecipientReport(
            recipient: envelope.recipients[0], action: .failed, status: status("5.0.0"),
            diagnostic: DSNDiagnostic(text: "550 first\r\nInjected: yes\u{0}"), remoteMTA: "mx\r\nX: y")
        let report = try #require(builder.report(for: envelope, recipients: [failure], date: reportDate))
        let text = render(report)
        expectWellFormedLines(text)
        let group = try #require(DSNMessageParser(text).multipart()).parts[1].statusGroups[1]
        #expect(group.field("Diagnostic-Code") == "smtp; 550 first  Injected: yes ")
        #expect(group.field("Remote-MTA") == "dns; mx  X: y")
        #expect(group.field("Injected") == nil)
    }

    @Test func internationalizedAddressesUseTheUTF8AddressType() throws {
        let sender = SpoolFixtures.mailbox("jöran", "example.org")
        let recipient = SpoolFixtures.mailbox("дмитрий+x", "пример.example")
        var envelope = SpoolFixtures.envelope(
            sender: .mailbox(sender),
            recipients: [EnvelopeRecipient(original: .mailbox(recipient), target: .remote(recipient))])
        envelope.parameters.smtpUTF8 = true
        let failure = DSNRecipientReport(
            recipient: envelope.recipients[0], action: .failed, status: status("5.1.1"),
            diagnostic: DSNDiagnostic(text: "550 5.1.1 unknown ünicode"))
        let report = try #require(builder.report(for: envelope, recipients: [failure], date: reportDate))
        #expect(report.recipient == sender)
        #expect(report.parameters.smtpUTF8)
        #expect(report.parameters.body == .eightBitMIME)
        let text = render(report)
        expectWellFormedLines(text)
        let message = DSNMessageParser(text)
        #expect(message.field("To") == "<jöran@example.org>")
        #expect(message.field("Content-Transfer-Encoding") == "8bit")
        let parts = try #require(message.multipart()).parts
        #expect(parts[0].field("Content-Type") == "text/plain; charset=utf-8")
        #expect(parts[0].field("Content-Transfer-Encoding") == "8bit")
        #expect(parts[0].body.contains("<дмитрий+x@пример.example>: delivery failed permanently"))
        #expect(parts[0].body.contains("Reason: 550 5.1.1 unknown ünicode"))
        #expect(parts[1].body.utf8.allSatisfy { $0 < 0x80 })
        let group = parts[1].statusGroups[1]
        #expect(group.field("Final-Recipient") == "utf-8; \\x{434}\\x{43C}\\x{438}\\x{442}\\x{440}\\x{438}\\x{439}"
            + "\\x{2B}x@\\x{43F}\\x{440}\\x{438}\\x{43C}\\x{435}\\x{440}.example")
        #expect(group.field("Diagnostic-Code") == "smtp; 550 5.1.1 unknown ?nicode")
        #expect(parts[2].field("Content-Type") == "message/global-headers")
        #expect(parts[2].field("Content-Transfer-Encoding") == "8bit")
    }

    @Test func originalRecipientKeepsItsTypeAndEscapesControls() throws {
        let envelope = SpoolFixtures.envelope(recipients: [
            remoteRecipient("bob", orcpt: OriginalRecipient(addressType: "x-local", address: "bob+tag\r\u{7F}"))
        ])
        let failure = DSNRecipientReport(recipient: envelope.recipients[0], action: .failed, status: status("5.1.1"))
        let report = try #require(builder.report(for: envelope, recipients: [failure], date: reportDate))
        let group = try #require(DSNMessageParser(render(report)).multipart()).parts[1].statusGroups[1]
        #expect(group.field("Original-Recipient") == "x-local; bob+tag+0D+7F")
    }

    @Test(arguments: [
        ("5.1.1", "5.1.1"), ("4.4.7", "4.4.7"), ("2.0.0", "2.0.0"), ("5.7.26", "5.7.26"), ("5.123.999", "5.123.999"),
        ("3.1.1", nil), ("5.1", nil), ("5.1.1.1", nil), ("5.1000.1", nil), ("55.1.1", nil), ("5..1", nil),
        ("5.a.1", nil), ("", nil), ("5.1.+1", nil),
    ] as [(String, String?)])
    func statusCodesParse(text: String, parsed: String?) {
        #expect(DSNStatus(text)?.description == parsed)
    }
}
