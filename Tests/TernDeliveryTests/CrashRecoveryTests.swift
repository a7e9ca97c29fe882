import NIOConcurrencyHelpers
import Foundation
import NIOCore
import NIOPosix
import Testing
import TernDelivery
import TernIO
import TernMessage
import TernSMTPCore
import TernSpool
import TernTestSupport

/// Local delivery after a crash at any step: the Maildir write, fsync, rename, directory fsync
/// of each copy, and the spool's record of the outcome. However far the first run got, after a
/// restart every recipient has exactly one copy (docs/behaviour.md §11).
@Suite struct CrashRecoveryTests {
    @Test func aCrashAfterAnyStepOfLocalDeliveryLeavesExactlyOneCopy() async throws {
        let steps = try await deliverWithCrash(afterStep: nil, readBeforeRestart: false)
        #expect(steps >= 10, "two copies and one record take at least ten durable steps")
        for step in 0...steps {
            for read in [false, true] {
                _ = try await deliverWithCrash(afterStep: step, readBeforeRestart: read)
            }
        }
    }

    /// Delivers one message to bob and carol with the disk failing for good after `afterStep`
    /// durable calls, restarts on a sound disk (after a mail client moved every copy to `cur/`
    /// when `readBeforeRestart`), and checks each has one copy. Returns the steps the first run
    /// made.
    private func deliverWithCrash(afterStep limit: Int?, readBeforeRestart: Bool) async throws -> Int {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let id = try await fixture.store(
            SpoolFixtures.envelope(recipients: [SpoolFixtures.localRecipient("bob"), SpoolFixtures.localRecipient("carol")]))
        let context = "crash after step \(limit.map(String.init) ?? "none"), read: \(readBeforeRestart)"

        let disk = CrashingFileOperations(failingAfter: limit)
        let spool = RecordWatchingSpool(
            base: FileSpool(
                root: fixture.directory.path + "/spool", threadPool: .singleton, logger: quietLogger, operations: disk))
        let courier = MaildirCourier(
            mailRoot: fixture.mailRoot, hostname: testHost, threadPool: .singleton, logger: quietLogger, operations: disk)
        let first = try makeRunner(fixture, spool: spool, courier: courier)
        try await fixture.running(first) {
            first.submitted(id)
            let recorded = try await eventually { spool.recordsTried > 0 }
            #expect(recorded, "\(context)")
        }
        let steps = disk.steps
        if readBeforeRestart {
            for user in ["bob", "carol"] {
                let maildir = "\(fixture.mailRoot)/example.com/\(user)"
                for name in names(in: maildir + "/new") {
                    try FileManager.default.moveItem(atPath: "\(maildir)/new/\(name)", toPath: "\(maildir)/cur/\(name):2,S")
                }
            }
        }

        let restarted = FileSpool(root: fixture.directory.path + "/spool", threadPool: .singleton, logger: quietLogger)
        _ = try await restarted.recover()
        let second = try makeRunner(fixture, spool: restarted)
        try await fixture.running(second) {
            let emptied = try await eventually { try await restarted.all().isEmpty }
            #expect(emptied, "\(context)")
        }
        for user in ["bob", "carol"] {
            let maildir = "\(fixture.mailRoot)/example.com/\(user)"
            let copies = names(in: maildir + "/new") + names(in: maildir + "/cur")
            #expect(copies.count == 1, "\(user), \(context): \(copies)")
        }
        return steps
    }
}

/// Durable file operations that all fail once `failingAfter` of them were made: the disk as a
/// crash leaves it, every step before the crash done and none after.
private final class CrashingFileOperations: FileOperations {
    private let system = SystemFileOperations()
    private let limit: Int?
    private let made = NIOLockedValueBox(0)

    init(failingAfter limit: Int?) {
        self.limit = limit
    }

    /// The operations made before the crash.
    var steps: Int { made.withLockedValue { $0 } }

    func write(_ descriptor: CInt, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        try step(path)
        try system.write(descriptor, bytes, path: path)
    }

    func fsync(_ descriptor: CInt, path: String) throws {
        try step(path)
        try system.fsync(descriptor, path: path)
    }

    func rename(_ source: String, to destination: String) throws {
        try step(destination)
        try system.rename(source, to: destination)
    }

    func unlink(_ path: String) throws {
        try step(path)
        try system.unlink(path)
    }

    private func step(_ path: String) throws {
        let allowed = made.withLockedValue { made in
            guard limit.map({ made < $0 }) ?? true else { return false }
            made += 1
            return true
        }
        if !allowed { throw FileSystemError("crashed", path: path, code: EIO) }
    }
}

/// A spool that counts the times the runner tried to record an attempt's outcome.
private struct RecordWatchingSpool: SpoolStore {
    let base: FileSpool
    private let tries = NIOLockedValueBox(0)

    init(base: FileSpool) {
        self.base = base
    }

    var recordsTried: Int { tries.withLockedValue { $0 } }

    func beginMessage() async throws -> any SpoolWriter { try await base.beginMessage() }
    func envelope(_ id: QueueID) async throws -> Envelope { try await base.envelope(id) }
    func openBody(_ id: QueueID) async throws -> SpoolBody { try await base.openBody(id) }
    func all() async throws -> [Envelope] { try await base.all() }
    func freeSpace() async throws -> Int { try await base.freeSpace() }
    func checkWritable() async throws { try await base.checkWritable() }

    func update(_ envelope: Envelope) async throws {
        defer { tries.withLockedValue { $0 += 1 } }
        try await base.update(envelope)
    }

    func remove(_ id: QueueID) async throws {
        defer { tries.withLockedValue { $0 += 1 } }
        try await base.remove(id)
    }
}
