import NIOConcurrencyHelpers
import Foundation
import NIOCore
import Testing
import TernIO
import TernSpool
import TernTestSupport
import TernMessage

@Suite struct FileSpoolFailureTests {
    @Test func failedAppendRemovesTheBody() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try await makeSpool(in: directory, operations: TestFileOperations { call, _ in call == .write })
        let writer = try await spool.beginMessage()
        // Small appends are gathered; the first write comes once the threshold is passed.
        try await writer.append(ByteBuffer(string: "Subject: x\r\n"))
        await #expect(throws: FileSystemError.self) {
            try await writer.append(ByteBuffer(repeating: UInt8(ascii: "a"), count: 200_000))
        }
        #expect(directory.files().isEmpty)
        await #expect(throws: SpoolError.writerFinished(writer.id)) { try await writer.commit(SpoolFixtures.envelope()) }
        await writer.abort()
    }

    @Test(arguments: [
        (TestFileOperations.Call.write, ".body"), (.fsync, ".body"), (.rename, ".msg"), (.fsync, "/incoming"),
    ])
    func failedCommitLeavesNothing(_ failingCall: TestFileOperations.Call, _ suffix: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let armed = NIOLockedValueBox(false)
        let operations = TestFileOperations { call, path in
            armed.withLockedValue { $0 } && call == failingCall && path.hasSuffix(suffix)
        }
        let spool = try await makeSpool(in: directory, operations: operations)
        let writer = try await spool.beginMessage()
        try await writer.append(ByteBuffer(bytes: SpoolFixtures.body(count: 70_000)))
        armed.withLockedValue { $0 = true }
        await #expect(throws: FileSystemError.self) { try await writer.commit(SpoolFixtures.envelope()) }
        #expect(directory.files().isEmpty)
        armed.withLockedValue { $0 = false }
        #expect(try await spool.all().isEmpty)
        _ = try await store(Array("next\r\n".utf8), SpoolFixtures.envelope(), in: spool)
        #expect(try await spool.all().count == 1, "the spool keeps working after a failure")
    }

    @Test(arguments: [TestFileOperations.Call.write, .fsync, .rename])
    func failedUpdateKeepsTheOldEnvelope(_ failingCall: TestFileOperations.Call) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let armed = NIOLockedValueBox(false)
        let operations = TestFileOperations { call, path in
            armed.withLockedValue { $0 } && call == failingCall && (path.hasSuffix(".update") || path.hasSuffix(".env"))
        }
        let spool = try await makeSpool(in: directory, operations: operations)
        let id = try await store(Array("x\r\n".utf8), SpoolFixtures.envelope(), in: spool)
        let original = try await spool.envelope(id)
        var changed = original
        changed.attempts = 7
        armed.withLockedValue { $0 = true }
        await #expect(throws: FileSystemError.self) { try await spool.update(changed) }
        #expect(try await spool.envelope(id) == original)
        #expect(directory.files() == ["spool/incoming/\(id).msg"])
    }
}
