import NIOConcurrencyHelpers
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Testing
import TernControl
import TernDelivery
import TernMessage
import TernPolicy
import TernSMTPCore
import TernSpool
import TernTestSupport

@Suite struct QueueRunnerTests {
    private func runner(_ fixture: DeliveryFixture, time: ManualTime? = nil) throws -> QueueRunner {
        try makeRunner(fixture, time: time)
    }

    @Test func submittedMessageIsDeliveredAndRemoved() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let runner = try runner(fixture)
        try await fixture.running(runner) {
            let recipients = [SpoolFixtures.localRecipient("bob"), SpoolFixtures.localRecipient("carol")]
            let id = try await fixture.store(SpoolFixtures.envelope(recipients: recipients))
            runner.submitted(id)
            #expect(try await eventually { try await fixture.spool.all().isEmpty })
            #expect(fixture.delivered("bob").count == 1)
            #expect(fixture.delivered("carol").count == 1)
            let path = "\(fixture.mailRoot)/example.com/bob/new/\(fixture.delivered("bob")[0])"
            #expect(try text(at: path).hasSuffix("id \(id)\n\tfor <bob@example.com>; Sun, 29 Nov 2026 08:09:25 +0000\nSubject: test\n\nHello.\n"))
        }
    }

    @Test func manyMessagesAreAllDelivered() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let runner = try runner(fixture)
        try await fixture.running(runner) {
            for index in 0..<30 {
                let id = try await fixture.store(
                    SpoolFixtures.envelope(recipients: [SpoolFixtures.localRecipient("user\(index % 3)")]))
                runner.submitted(id)
                runner.submitted(id)
            }
            #expect(try await eventually { try await fixture.spool.all().isEmpty })
        }
        #expect((0..<3).map { fixture.delivered("user\($0)").count } == [10, 10, 10])
    }

    @Test func permanentFailureIsFinal() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let runner = try runner(fixture)
        let unusable = SpoolFixtures.localRecipient(String(repeating: "/", count: 100))
        try await fixture.running(runner) {
            let id = try await fixture.store(
                SpoolFixtures.envelope(recipients: [unusable, SpoolFixtures.localRecipient("bob")]))
            runner.submitted(id)
            let removed = try await eventually { try await fixture.spool.all().isEmpty }
            #expect(removed, "delivered and failed are both final")
        }
        #expect(fixture.delivered("bob").count == 1)
        #expect(names(in: fixture.mailRoot + "/example.com") == ["bob"])
    }

    @Test func restartDeliversPendingAndNeverRepeatsDelivered() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        var done = SpoolFixtures.localRecipient("bob")
        done.status = .delivered(SpoolFixtures.receivedAt)
        let first = try await fixture.store(
            SpoolFixtures.envelope(recipients: [done, SpoolFixtures.localRecipient("carol")]))
        let second = try await fixture.store(SpoolFixtures.envelope(recipients: [SpoolFixtures.localRecipient("erin")]))
        let finished = try await fixture.store(SpoolFixtures.envelope(recipients: [done]))

        let restarted = FileSpool(root: fixture.directory.path + "/spool", threadPool: .singleton, logger: quietLogger)
        #expect(try await restarted.recover().messages == 3)
        let runner = try makeRunner(fixture, spool: restarted)
        try await fixture.running(runner) {
            let emptied = try await eventually { try await restarted.all().isEmpty }
            #expect(emptied)
        }
        #expect(fixture.delivered("bob").isEmpty)
        #expect(fixture.delivered("carol").count == 1)
        #expect(fixture.delivered("erin").count == 1)
        for id in [first, second, finished] {
            await #expect(throws: SpoolError.unknownMessage(id)) { try await restarted.envelope(id) }
        }
    }

    @Test func localDeliveryNeverWaitsBehindASilentHost() async throws {
        // Twice as many messages for a host that never greets as the runner has slots: before
        // the lanes, every slot waited for that host and local mail waited for a free slot.
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let silent = try await SilentPeer()
        var settings = DeliverySettings()
        settings.routes = RouteTable(["silent.example": .smtp(host: "127.0.0.1", port: silent.port)])
        let runner = try makeRunner(fixture, settings: settings)
        let remote = SpoolFixtures.mailbox("dave", "silent.example")
        try await fixture.running(runner) {
            for _ in 0..<16 {
                runner.submitted(try await fixture.store(SpoolFixtures.envelope(
                    recipients: [EnvelopeRecipient(original: .mailbox(remote), target: .remote(remote))])))
            }
            try await Task.sleep(for: .milliseconds(300))
            let clock = ContinuousClock()
            let started = clock.now
            runner.submitted(try await fixture.store(SpoolFixtures.envelope()))
            #expect(try await eventually(timeout: .seconds(3)) { fixture.delivered("bob").count == 1 })
            #expect(clock.now - started < .seconds(2), "local mail waited \(clock.now - started)")
        }
        try await silent.stop()
    }

    @Test func heldMessageWaitsAcrossARestartUntilReleased() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        var envelope = SpoolFixtures.envelope()
        envelope.held = true
        let id = try await fixture.store(envelope)
        let first = try runner(fixture)
        try await fixture.running(first) {
            first.submitted(id)
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await first.control.list().map(\.held) == [true])
        }
        #expect(fixture.delivered("bob").isEmpty)

        let restarted = FileSpool(root: fixture.directory.path + "/spool", threadPool: .singleton, logger: quietLogger)
        #expect(try await restarted.recover().messages == 1)
        let second = try makeRunner(fixture, spool: restarted)
        try await fixture.running(second) {
            #expect(try await second.control.list().map(\.held) == [true], "the hold is kept in the spool")
            second.submitted(id)
            try await Task.sleep(for: .milliseconds(200))
            #expect(fixture.delivered("bob").isEmpty, "a held message is not delivered after a restart")
            try await second.control.release(id)
            #expect(try await eventually { try await restarted.all().isEmpty })
        }
        #expect(fixture.delivered("bob").count == 1)
        await #expect(throws: QueueControlError.unknownMessage(id)) { try await second.control.hold(id) }
    }

    @Test func deferredDeliveryIsRetriedAfterTheBackoff() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let time = ManualTime(start: SpoolFixtures.receivedAt)
        let runner = try runner(fixture, time: time)
        let blocker = fixture.mailRoot + "/example.com"
        try FileManager.default.createDirectory(atPath: fixture.mailRoot, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: blocker, contents: Data())
        try await fixture.running(runner) {
            let id = try await fixture.store(SpoolFixtures.envelope())
            runner.submitted(id)
            #expect(try await eventually { time.requested == [.seconds(60)] })
            let deferred = try await fixture.spool.envelope(id)
            guard case .deferred(let reason) = deferred.recipients[0].status else {
                Issue.record("expected a deferred recipient, got \(deferred.recipients[0].status)")
                return
            }
            #expect(reason.contains("example.com"))
            #expect(deferred.attempts == 1)
            #expect(deferred.nextAttempt == SpoolFixtures.receivedAt + 60)

            try FileManager.default.removeItem(atPath: blocker)
            time.allow(1)
            #expect(try await eventually { try await fixture.spool.all().isEmpty })
            #expect(fixture.delivered("bob").count == 1)
        }
    }

    @Test func deferredDeliveryFailsWhenTooOld() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let time = ManualTime(start: SpoolFixtures.receivedAt)
        time.allow(1_000)
        let runner = try runner(fixture, time: time)
        try FileManager.default.createDirectory(atPath: fixture.mailRoot, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: fixture.mailRoot + "/example.com", contents: Data())
        try await fixture.running(runner) {
            let id = try await fixture.store(SpoolFixtures.envelope())
            runner.submitted(id)
            #expect(try await eventually { try await fixture.spool.all().isEmpty })
        }
        #expect(Array(time.requested.prefix(7)) == [60, 300, 900, 3_600, 14_400, 14_400, 14_400].map { .seconds($0) })
        #expect(time.now.timeIntervalSince(SpoolFixtures.receivedAt) >= 5 * 86_400)
    }

    @Test func gracefulShutdownStopsMidDeliveryWithoutPartialFiles() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let stalled = NIOLockedValueBox(false)
        let spool = StallingSpool(base: fixture.spool, stalled: stalled)
        let runner = try makeRunner(fixture, spool: spool)
        let id = try await fixture.store(SpoolFixtures.envelope())
        let group = ServiceGroup(services: [runner], logger: quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            #expect(try await eventually { stalled.withLockedValue { $0 } })
            let clock = ContinuousClock()
            let start = clock.now
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            #expect(clock.now - start < .seconds(2))
        }
        #expect(fixture.delivered("bob").isEmpty)
        #expect(names(in: fixture.mailRoot + "/example.com/bob/tmp").isEmpty)
        #expect(try await fixture.spool.envelope(id).recipients[0].status == .pending)
    }
}

/// A spool whose bodies stop after their first chunk until the reading task is cancelled.
private struct StallingSpool: SpoolStore {
    let base: FileSpool
    let stalled: NIOLockedValueBox<Bool>

    func beginMessage() async throws -> any SpoolWriter { try await base.beginMessage() }
    func envelope(_ id: QueueID) async throws -> Envelope { try await base.envelope(id) }
    func update(_ envelope: Envelope) async throws { try await base.update(envelope) }
    func remove(_ id: QueueID) async throws { try await base.remove(id) }
    func all() async throws -> [Envelope] { try await base.all() }
    func freeSpace() async throws -> Int { try await base.freeSpace() }
    func checkWritable() async throws { try await base.checkWritable() }

    func openBody(_ id: QueueID) async throws -> SpoolBody {
        let stalled = stalled
        return SpoolBody { offset in
            if offset == 0 { return ByteBuffer(string: "Subject: stalled\r\n") }
            stalled.withLockedValue { $0 = true }
            try await Task.sleep(for: .seconds(3_600))
            return nil
        }
    }
}
