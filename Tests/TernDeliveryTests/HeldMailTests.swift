import Foundation
import NIOConcurrencyHelpers
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

    @Test func releaseWaitsForAMessageAnotherNodeHoldsAMoment() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let leases = BusyLeases()
        let spool = LeasedSpool(base: fixture.spool, leases: leases)
        _ = try await fixture.store(envelope(to: "node.example.net"))
        let runner = try makeRunner(fixture, spool: spool, settings: settings(sink))
        try await fixture.running(runner) { () async throws in
            // Another node's scheduler has the message while the run begins.
            leases.refuse(3)
            #expect(try await runner.releaseHeld(["node.example.net"]) == 1)
            #expect(try await eventually { try sink.transactions().count == 1 })
            #expect(leases.refusalsLeft == 0)
            #expect(try await eventually { try await fixture.spool.all().isEmpty })
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

/// Message leases of a shared queue in memory, where another node holds every message for the
/// next `refuse(_:)` requests.
private final class BusyLeases: MessageLeases {
    let duration = Duration.seconds(60)
    private let refusals = NIOLockedValueBox(0)

    var refusalsLeft: Int { refusals.withLockedValue { $0 } }

    func refuse(_ count: Int) {
        refusals.withLockedValue { $0 = count }
    }

    func take(_ id: QueueID) async throws -> Bool {
        refusals.withLockedValue { left in
            guard left > 0 else { return true }
            left -= 1
            return false
        }
    }

    func release(_ id: QueueID, due: Date?) async throws {}
    func claimDue(limit: Int) async throws -> [QueueID] { [] }
    func takeDomains(_ domains: Set<String>) async throws -> Bool { true }
    func releaseDomains(_ domains: Set<String>) async throws {}
}

/// A file spool seen as one node's view of a shared queue: its messages, `leases` for locking.
private struct LeasedSpool: SpoolStore {
    let base: FileSpool
    let leases: (any MessageLeases)?

    func beginMessage() async throws -> any SpoolWriter { try await base.beginMessage() }
    func envelope(_ id: QueueID) async throws -> Envelope { try await base.envelope(id) }
    func update(_ envelope: Envelope) async throws { try await base.update(envelope) }
    func openBody(_ id: QueueID) async throws -> SpoolBody { try await base.openBody(id) }
    func remove(_ id: QueueID) async throws { try await base.remove(id) }
    func all() async throws -> [Envelope] { try await base.all() }
    func freeSpace() async throws -> Int { try await base.freeSpace() }
    func checkWritable() async throws { try await base.checkWritable() }
}
