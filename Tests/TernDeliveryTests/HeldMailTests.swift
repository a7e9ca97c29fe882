import Foundation
import Testing
import TernControl
import TernDelivery
import TernMessage
import TernPolicy
import TernSMTPCore
import TernTestSupport
import TernSpool

/// Mail held for ETRN/ATRN nodes: never sent by the scheduler, released by a run to the
/// node's route, expired after `hold_lifetime` (docs/behaviour.md §14, docs/configuration.md `[delivery]`).
@Suite struct HeldMailTests {
    private let sender = SpoolFixtures.mailbox("alice", "example.com")

    private func envelope(to domain: String) -> Envelope {
        let mailbox = SpoolFixtures.mailbox("dave", domain)
        var envelope = SpoolFixtures.envelope(
            sender: .mailbox(sender), recipients: [EnvelopeRecipient(original: .mailbox(mailbox), target: .remote(mailbox))])
        envelope.receivedAt = Date()
        return envelope
    }

    private func settings(_ sink: SMTPSink) -> DeliverySettings {
        var settings = DeliverySettings(
            holdLifetime: .seconds(3_600),
            routes: RouteTable(["node.example.net": .smtp(host: "127.0.0.1", port: sink.port)]))
        settings.holdDomains = ["node.example.net"]
        return settings
    }

    @Test func heldUntilReleasedThenSentToTheRoute() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let runner = try makeRunner(fixture, settings: settings(sink))
        try await fixture.running(runner) {
            let first = try await fixture.store(envelope(to: "node.example.net"))
            runner.submitted(first)
            runner.submitted(try await fixture.store(envelope(to: "Node.Example.NET")))
            try await Task.sleep(for: .milliseconds(300))
            #expect(try sink.transactions().isEmpty)
            #expect(try await runner.control.list().flatMap(\.recipients).map(\.status) == ["held", "held"])
            #expect(try await runner.control.statusCounts() == (queued: 2, held: 2))
            #expect(try await runner.releaseHeld(["other.example.net"]) == 0)
            #expect(try await runner.releaseHeld(["node.example.net"]) == 2)
            #expect(try await eventually { try await fixture.spool.all().isEmpty })
            #expect(try sink.transactions().count == 2)
            // The node is unlocked once the run has ended.
            #expect(try await eventually { (try? await runner.releaseHeld(["node.example.net"])) == 0 })
        }
    }

    @Test func stateCountsSortHeldDeferredAndActive() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let runner = try makeRunner(fixture, settings: settings(sink))
        let now = Date()
        _ = try await fixture.store(envelope(to: "node.example.net"))
        var operatorHeld = envelope(to: "example.org")
        operatorHeld.held = true
        _ = try await fixture.store(operatorHeld)
        var retrying = envelope(to: "example.org")
        retrying.nextAttempt = now.addingTimeInterval(600)
        _ = try await fixture.store(retrying)
        var due = envelope(to: "example.org")
        due.nextAttempt = now.addingTimeInterval(-1)
        _ = try await fixture.store(due)
        _ = try await fixture.store(envelope(to: "example.net"))
        let counts = try await runner.control.stateCounts(at: now)
        #expect(counts == (active: 2, deferred: 1, held: 2))
        #expect(try await runner.control.stateCounts(at: now.addingTimeInterval(601)) == (active: 3, deferred: 0, held: 2))
    }

    @Test func oneRunPerNodeAtATime() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let runner = try makeRunner(fixture, settings: settings(sink))
        _ = try await fixture.store(envelope(to: "node.example.net"))
        // Not running: the run stays queued, so the node stays locked.
        #expect(try await runner.releaseHeld(["node.example.net"]) == 1)
        await #expect(throws: HeldMailUnavailable.busy) { try await runner.releaseHeld(["node.example.net"]) }
        await #expect(throws: HeldMailUnavailable.busy) { try await runner.reserveHeld(["node.example.net"]) }
        #expect(try await runner.reserveHeld(["other.example.net"]) == nil)
    }

    @Test func heldMailExpiresWithAFailureReport() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let sink = try await SMTPSink()
        defer { sink.stop() }
        var held = envelope(to: "node.example.net")
        held.receivedAt = Date(timeIntervalSinceNow: -7_200)
        let runner = try makeRunner(fixture, settings: settings(sink))
        try await fixture.running(runner) {
            runner.submitted(try await fixture.store(held))
            #expect(try await eventually { try await fixture.spool.all().isEmpty })
        }
        #expect(try sink.transactions().isEmpty)
        let reports = try fixture.delivered("alice").map { try text(at: "\(fixture.mailRoot)/example.com/alice/new/\($0)") }
        #expect(reports.count == 1)
        #expect(reports.first?.contains("Status: 5.4.7") == true)
    }
}
