import Foundation
import Testing
import TernDelivery
import TernMessage
import TernPolicy
import TernSMTPCore
import TernTestSupport
import TernSpool

/// The queue runner relaying to other hosts, with Postfix's `smtp-sink` as the peer.
@Suite struct RelayTests {
    private let remote = EnvelopeRecipient(
        original: .mailbox(SpoolFixtures.mailbox("dave", "example.net")),
        target: .remote(SpoolFixtures.mailbox("dave", "example.net")))
    private let sender = SpoolFixtures.mailbox("alice", "example.com")

    private func envelope(_ recipients: [EnvelopeRecipient]? = nil, notify: NotifyConditions? = nil) -> Envelope {
        var envelope = SpoolFixtures.envelope(sender: .mailbox(sender), recipients: recipients ?? [remote])
        if let notify {
            for index in envelope.recipients.indices { envelope.recipients[index].parameters.notify = notify }
        }
        return envelope
    }

    /// Stores `envelopes` and runs a runner until the spool is empty (reports delivered too).
    private func deliverAll(
        _ fixture: DeliveryFixture, _ envelopes: [Envelope], settings: DeliverySettings = DeliverySettings(),
        resolver: any MXResolving = TableResolver(), timeout: Duration = .seconds(15)
    ) async throws {
        let runner = try makeRunner(fixture, settings: settings, resolver: resolver)
        try await fixture.running(runner) {
            for envelope in envelopes {
                runner.submitted(try await fixture.store(envelope))
            }
            #expect(try await eventually(timeout: timeout) { try await fixture.spool.all().isEmpty })
        }
    }

    /// A smarthost route to `sink`.
    private func smarthost(_ sink: SMTPSink) -> DeliverySettings {
        DeliverySettings(smarthost: .smtp(host: "127.0.0.1", port: sink.port))
    }

    /// Reports land in the sender's Maildir, `example.com/alice/new`.
    private func reports(_ fixture: DeliveryFixture) throws -> [String] {
        try fixture.delivered("alice").map { try text(at: "\(fixture.mailRoot)/example.com/alice/new/\($0)") }
    }

    @Test func routeSendsToTheSinkWithATraceField() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let settings = DeliverySettings(routes: RouteTable(["example.net": .smtp(host: "127.0.0.1", port: sink.port)]))
        let runner = try makeRunner(fixture, settings: settings)
        try await fixture.running(runner) {
            let id = try await fixture.store(envelope())
            runner.submitted(id)
            #expect(try await eventually { try await fixture.spool.all().isEmpty })
            let transactions = try sink.transactions()
            #expect(transactions.count == 1)
            #expect(transactions.first?.contains("by \(testHost) (Tern) with ESMTP id \(id)") == true)
            #expect(transactions.first?.contains("Subject: test") == true)
        }
        #expect(try reports(fixture).isEmpty)
    }

    @Test func mailExchangersAreFoundAndTriedInOrder() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        // Both exchangers are live, on one port at two loopback addresses; the preferred one
        // is the second record and must get the message, the other not even a connection.
        let preferred = try await SMTPSink(host: "127.0.0.2")
        defer { preferred.stop() }
        let backup = try await SMTPSink(host: "127.0.0.1", port: preferred.port)
        defer { backup.stop() }
        var generator = SystemRandomNumberGenerator()
        let records = [MailExchanger(preference: 20, host: "backup.example.net"), MailExchanger(preference: 10, host: "mx.example.net")]
        let resolver = TableResolver(
            exchangers: ["example.net": MXAnswer(records: records, using: &generator)],
            hosts: ["backup.example.net": ["127.0.0.1"], "mx.example.net": ["127.0.0.2"]])
        try await deliverAll(fixture, [envelope()], settings: DeliverySettings(smtpPort: preferred.port), resolver: resolver)
        let (delivered, contacted) = (try preferred.transactions().count, try backup.sessions())
        #expect(delivered == 1)
        #expect(contacted == 0, "the less preferred exchanger was contacted")
    }

    @Test func theNextExchangerIsTriedWhenThePreferredOneIsDown() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let sink = try await SMTPSink()
        defer { sink.stop() }
        // The preferred exchanger refuses connections: a loopback address nothing listens on.
        let resolver = TableResolver(
            exchangers: ["example.net": .exchangers([
                MailExchanger(preference: 5, host: "down.example.net"), MailExchanger(preference: 10, host: "mx.example.net"),
            ])],
            hosts: ["down.example.net": ["127.0.0.2"], "mx.example.net": ["127.0.0.1"]])
        try await deliverAll(fixture, [envelope()], settings: DeliverySettings(smtpPort: sink.port), resolver: resolver)
        #expect(try sink.transactions().count == 1)
    }

    @Test func addressLiteralIsSentToThatHostWithoutLookup() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let literal = Mailbox(localPart: "dave", domain: .addressLiteral("127.0.0.1"))
        let recipient = EnvelopeRecipient(original: .mailbox(literal), target: .remote(literal))
        try await deliverAll(fixture, [envelope([recipient])], settings: DeliverySettings(smtpPort: sink.port))
        #expect(try sink.transactions().first?.contains("dave@[127.0.0.1]") == true)
    }

    @Test func nullMXFailsAtOnceWithAReport() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let resolver = TableResolver(exchangers: ["example.net": .nullMX])
        try await deliverAll(fixture, [envelope()], resolver: resolver)
        let report = try #require(try reports(fixture).first)
        #expect(report.contains("Return-Path: <>"))
        #expect(report.contains("Content-Type: message/delivery-status"))
        #expect(report.contains("Final-Recipient: rfc822; dave@example.net"))
        #expect(report.contains("Action: failed"))
        #expect(report.contains("Status: 5.1.10"))
        #expect(report.contains("Diagnostic-Code: smtp; 556 5.1.10"))
    }

    @Test func permanentRefusalBouncesWithThePeersReply() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let sink = try await SMTPSink(["-f", "RCPT"])
        defer { sink.stop() }
        try await deliverAll(fixture, [envelope()], settings: smarthost(sink))
        let report = try #require(try reports(fixture).first)
        #expect(report.contains("Action: failed"))
        #expect(report.contains("Remote-MTA: dns; 127.0.0.1"))
        #expect(report.contains("Diagnostic-Code: smtp; 5"))
    }

    @Test func temporaryRefusalIsRetriedOnScheduleThenExpires() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let sink = try await SMTPSink(["-r", "RCPT"])
        defer { sink.stop() }
        let time = ManualTime(start: SpoolFixtures.receivedAt)
        let settings = DeliverySettings(
            retry: RetryPolicy(delays: [.seconds(60), .seconds(600)], maximumAge: .seconds(3_000)),
            warnAfter: .seconds(30), smarthost: .smtp(host: "127.0.0.1", port: sink.port))
        let runner = try makeRunner(fixture, settings: settings, time: time)
        try await fixture.running(runner) {
            let id = try await fixture.store(envelope())
            runner.submitted(id)
            #expect(try await eventually { time.requested == [.seconds(60)] })
            let first = try await fixture.spool.envelope(id)
            guard case .deferred(let reason) = first.recipients[0].status else {
                Issue.record("expected a deferral, got \(first.recipients[0].status)")
                return
            }
            #expect(reason.hasPrefix("4"))
            #expect(first.recipients[0].remoteMTA == "127.0.0.1")
            #expect(try reports(fixture).isEmpty)
            time.allow(1)
            // Second attempt at +60 s: past warn_after (30 s), so a delay report; then 600 s.
            #expect(try await eventually { time.requested == [.seconds(60), .seconds(600)] })
            #expect(try await eventually { (try? reports(fixture).count) == 1 })
            #expect(try reports(fixture).first?.contains("Action: delayed") == true)
            time.allow(10)
            #expect(try await eventually { try await fixture.spool.all().isEmpty })
        }
        let texts = try reports(fixture)
        #expect(texts.count == 2)
        #expect(texts.contains { $0.contains("Action: failed") && $0.contains("Status: 5.4.7") })
    }

    @Test func successIsReportedWhenThePeerDoesNotOfferDSN() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let sink = try await SMTPSink(["-N"])
        defer { sink.stop() }
        try await deliverAll(fixture, [envelope(notify: [.success])], settings: smarthost(sink))
        let report = try #require(try reports(fixture).first)
        #expect(report.contains("Action: relayed"))
    }

    @Test func aDSNPeerReportsSuccessItself() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let sink = try await SMTPSink()
        defer { sink.stop() }
        try await deliverAll(fixture, [envelope(notify: [.success])], settings: smarthost(sink))
        #expect(try reports(fixture).isEmpty)
        #expect(try sink.transactions().first?.contains("NOTIFY=SUCCESS") == true)
    }

    @Test func localDeliveryIsReportedWhenAskedForSuccess() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        var local = SpoolFixtures.localRecipient("bob")
        local.parameters.notify = [.success]
        try await deliverAll(fixture, [envelope([local])])
        #expect(fixture.delivered("bob").count == 1)
        #expect(try reports(fixture).first?.contains("Action: delivered") == true)
    }

    @Test func nullSenderGetsNoReport() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let resolver = TableResolver(exchangers: ["example.net": .nullMX])
        try await deliverAll(fixture, [SpoolFixtures.envelope(sender: .null, recipients: [remote])], resolver: resolver)
        #expect(try reports(fixture).isEmpty)
    }

    @Test func manyMessagesShareConnections() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        // The peer answers EHLO after a second, so messages queue up while the two allowed
        // connections start, and each later connection carries those that wait for it. One
        // session per message (40) would mean no sharing; the runner works on eight messages
        // at once, so sessions carry two or more.
        let sink = try await SMTPSink(["-W", "ehlo:1"])
        defer { sink.stop() }
        var settings = smarthost(sink)
        settings.perDestination = 2
        try await deliverAll(fixture, Array(repeating: envelope(), count: 40), settings: settings, timeout: .seconds(30))
        #expect(try sink.transactions().count == 40)
        let sessions = try sink.sessions()
        #expect((2...24).contains(sessions), "40 messages took \(sessions) sessions")
    }
}
