import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Testing
import TernMessage
import TernSMTPCore
import TernSpool
import TernTestSupport

@Suite struct FileSpoolTests {
    @Test func committedMessageReadsBack() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try await makeSpool(in: directory)
        let body = Array("Subject: hello\r\n\r\nHi Bob.\r\n".utf8)
        var envelope = SpoolFixtures.envelope()
        let writer = try await spool.beginMessage()
        try await writer.append(ByteBuffer(bytes: body.prefix(10)))
        try await writer.append(ByteBuffer(bytes: body.dropFirst(10)))
        #expect(writer.size == body.count)
        try await writer.commit(envelope)

        envelope.id = writer.id
        envelope.size = body.count
        #expect(try await spool.envelope(writer.id) == envelope)
        #expect(try await contents(of: spool.openBody(writer.id)) == body)
        #expect(try await spool.all() == [envelope])
        #expect(directory.files() == ["spool/incoming/\(writer.id).msg"], "text and envelope in one file")
        await writer.abort()
        #expect(directory.files().count == 1, "abort after commit changes nothing")
        await #expect(throws: SpoolError.writerFinished(writer.id)) { try await writer.append(ByteBuffer(string: "x")) }
    }

    @Test func filesArePrivate() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try await makeSpool(in: directory)
        let id = try await store(Array("x\r\n".utf8), SpoolFixtures.envelope(), in: spool)
        for path in ["spool/incoming/\(id).msg", "spool/incoming"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: "\(directory.path)/\(path)")
            #expect((attributes[.posixPermissions] as? Int).map { $0 & 0o077 } == 0, "\(path)")
        }
    }

    @Test func bodyCanBeReadTwiceAndAfterRemoval() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try await makeSpool(in: directory)
        let body = SpoolFixtures.body(count: 200_000)
        let id = try await store(body, SpoolFixtures.envelope(), in: spool)
        let opened = try await spool.openBody(id)
        #expect(try await contents(of: opened) == body)
        try await spool.remove(id)
        #expect(try await contents(of: opened) == body)
    }

    @Test func abortLeavesNothing() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try await makeSpool(in: directory)
        let writer = try await spool.beginMessage()
        try await writer.append(ByteBuffer(bytes: SpoolFixtures.body(count: 200_000)))
        #expect(directory.files() == ["spool/tmp/\(writer.id).body"])
        await writer.abort()
        await writer.abort()
        #expect(directory.files().isEmpty)
        await #expect(throws: SpoolError.writerFinished(writer.id)) { try await writer.commit(SpoolFixtures.envelope()) }
        #expect(try await spool.all().isEmpty)
    }

    @Test func aSmallMessageIsKeptInMemoryUntilItsCommit() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try await makeSpool(in: directory)
        let writer = try await spool.beginMessage()
        let text = SpoolFixtures.body(count: 100_000)
        try await writer.append(ByteBuffer(bytes: text[..<60_000]))
        try await writer.append(ByteBuffer(bytes: text[60_000...]))
        #expect(directory.files().isEmpty, "no file for a message that fits in memory")
        #expect(writer.textInMemory == ByteBuffer(bytes: text))
        try await writer.commit(SpoolFixtures.envelope())
        #expect(directory.files() == ["spool/incoming/\(writer.id).msg"])
        #expect(try await contents(of: try await spool.openBody(writer.id)) == text)

        let large = try await spool.beginMessage()
        try await large.append(ByteBuffer(bytes: SpoolFixtures.body(count: 200_000)))
        #expect(large.textInMemory == nil, "written to its file once it reaches the threshold")
        #expect(directory.files().contains("spool/tmp/\(large.id).body"))
        await large.abort()
    }

    @Test func theMessageWrittenLastIsReadFromMemory() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try await makeSpool(in: directory)
        let small = try await store(Array("small\r\n".utf8), SpoolFixtures.envelope(), in: spool)
        let large = try await store(SpoolFixtures.body(count: 200_000), SpoolFixtures.envelope(), in: spool)
        for id in [small, large] {
            try FileManager.default.removeItem(atPath: "\(directory.path)/spool/incoming/\(id).msg")
        }
        #expect(try await contents(of: spool.openBody(small)) == Array("small\r\n".utf8), "read from memory")
        #expect(try await spool.envelope(small).id == small)
        await #expect(throws: SpoolError.unknownMessage(large), "a text over 128 KiB is read from its file") {
            try await spool.openBody(large)
        }
        await #expect(throws: SpoolError.unknownMessage(small)) { try await spool.remove(small) }
        await #expect(throws: SpoolError.unknownMessage(small), "forgotten at removal") { try await spool.envelope(small) }
    }

    /// The file layout of an update (what it means: `SpoolStoreTests`).
    @Test func anUpdateIsWrittenBesideTheText() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try await makeSpool(in: directory)
        let id = try await store(Array("x\r\n".utf8), SpoolFixtures.envelope(), in: spool)
        var envelope = try await spool.envelope(id)
        envelope.attempts = 1
        try await spool.update(envelope)
        #expect(directory.files() == ["spool/incoming/\(id).env", "spool/incoming/\(id).msg"], "the update beside the text")
        #expect(try await spool.envelope(id) == envelope)
        try await spool.remove(id)
        #expect(directory.files() == ["spool/spare/0"], "the text kept as a spare")
    }

    @Test func freeSpaceIsReported() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try await makeSpool(in: directory)
        #expect(try await spool.freeSpace() > 0)
    }

    @Test func concurrentCommitsShareDirectoryFsyncs() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let operations = TestFileOperations()
        let spool = try await makeSpool(in: directory, operations: operations)
        let syncsBefore = operations.incomingSyncs
        let ids = try await withThrowingTaskGroup(of: QueueID.self) { group in
            for index in 0..<50 {
                group.addTask {
                    try await store(SpoolFixtures.body(count: 1_000 + index), SpoolFixtures.envelope(), in: spool)
                }
            }
            return try await group.reduce(into: Set<QueueID>()) { $0.insert($1) }
        }
        #expect(ids.count == 50)
        let stored = try await spool.all()
        #expect(Set(stored.map(\.id)) == ids)
        for envelope in stored {
            #expect(try await contents(of: spool.openBody(envelope.id)) == SpoolFixtures.body(count: envelope.size))
        }
        let syncs = operations.incomingSyncs - syncsBefore
        #expect(syncs >= 1 && syncs < 50, "commits waiting together share one fsync of incoming/")
        #expect(directory.files().filter { $0.hasPrefix("spool/tmp/") }.isEmpty)
    }

    @Test(.timeLimit(.minutes(1))) func aMessageRemovedWhileItsCommitEndsIsNotReadBackFromMemory() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // The first fsync of incoming/ once armed (the commit's, after its envelope is renamed
        // in) waits until the test lets it go.
        let gate = DispatchSemaphore(value: 0)
        let armed = NIOLockedValueBox(false)
        let operations = TestFileOperations { call, path in
            let stop = call == .fsync && path.hasSuffix("/incoming") && armed.withLockedValue { armed in
                defer { armed = false }
                return armed
            }
            if stop { _ = gate.wait(timeout: .now() + 10) }
            return false
        }
        let spool = try await makeSpool(in: directory, operations: operations)
        let writer = try await spool.beginMessage()
        try await writer.append(ByteBuffer(string: "Subject: x\r\n\r\nHi.\r\n"))
        let envelopePath = "\(directory.path)/spool/incoming/\(writer.id).env"
        armed.withLockedValue { $0 = true }
        async let committed: Void = writer.commit(SpoolFixtures.envelope())
        // A listing of the spool finds the message now, while its commit waits; whoever found
        // it delivers it and removes it.
        for _ in 0..<500 where !FileManager.default.fileExists(atPath: envelopePath) {
            try await Task.sleep(for: .milliseconds(10))
        }
        async let removed: Void = spool.remove(writer.id)
        for _ in 0..<500 where FileManager.default.fileExists(atPath: envelopePath) {
            try await Task.sleep(for: .milliseconds(10))
        }
        gate.signal()
        try await committed
        try await removed

        await #expect(throws: SpoolError.unknownMessage(writer.id), "the removed message is not read back from memory") {
            try await spool.envelope(writer.id)
        }
    }
}
