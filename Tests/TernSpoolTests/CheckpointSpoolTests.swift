import Foundation
import NIOCore
import Testing
import TernSMTPCore
import TernTestSupport
import TernSpool

/// Checkpoint records in `partial/`: kept across a broken connection and a restart, resumed,
/// completed exactly once (docs/behaviour.md §16).
@Suite struct CheckpointSpoolTests {
    static let key = CheckpointKey(clientName: "client.example.net", transactionID: "<t1@client.example.net>", account: "bob")

    @Test func suspendedTextSurvivesARestartAndResumes() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try await makeSpool(in: directory)
        let writer = try await spool.beginCheckpointed(Self.key, command: .data, syncEvery: 8)
        #expect(try await spool.checkpoints().map(\.point) == [.start], "the record exists from the 354 on")
        try await writer.append(ByteBuffer(string: "Subject: a\r\n\r\nline one\r\nline t"))
        await writer.reached(ResumePoint(streamOffset: 25, storedLength: 24))
        await writer.suspend()

        let restarted = try await makeSpool(in: directory)
        let records = try await restarted.checkpoints()
        #expect(records.map(\.key) == [Self.key])
        #expect(records.map(\.point) == [ResumePoint(streamOffset: 25, storedLength: 24)])
        #expect(records.map(\.command) == [.data])
        let record = try #require(records.first)
        #expect(try await contents(of: restarted.storedText(of: record)) == Array("Subject: a\r\n\r\nline one\r\n".utf8))

        let resumed = try await restarted.resumeCheckpointed(record, syncEvery: 8)
        try await resumed.append(ByteBuffer(string: "line two\r\n"))
        await resumed.reached(ResumePoint(streamOffset: 35, storedLength: 34))
        try await resumed.commit(SpoolFixtures.envelope())
        #expect(try await contents(of: restarted.openBody(resumed.id)) == Array("Subject: a\r\n\r\nline one\r\nline two\r\n".utf8))
        let completed = try await restarted.checkpoints()
        #expect(completed.map(\.acceptedAs) == [resumed.id])
        #expect(completed.map(\.point) == [ResumePoint(streamOffset: 35, storedLength: 34)])
        #expect(!directory.files().contains("spool/partial/\(record.id).body"), "the partial text goes once accepted")
    }

    @Test func unsyncedTextNeverCounts() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try await makeSpool(in: directory)
        let writer = try await spool.beginCheckpointed(Self.key, command: .bdat, syncEvery: 1_000)
        try await writer.append(ByteBuffer(string: "0123456789"))
        await writer.reached(ResumePoint(streamOffset: 10, storedLength: 10))
        // Killed now: nothing was due for a sync, so the record still says 0.
        let restarted = try await makeSpool(in: directory)
        #expect(try await restarted.checkpoints().map(\.point) == [.start])
        _ = writer
    }

    @Test func anAbortRemovesTheRecord() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try await makeSpool(in: directory)
        let writer = try await spool.beginCheckpointed(Self.key, command: .data, syncEvery: 1)
        try await writer.append(ByteBuffer(string: "x\r\n"))
        await writer.reached(ResumePoint(streamOffset: 3, storedLength: 3))
        await writer.abort()
        #expect(try await spool.checkpoints().isEmpty)
        #expect(directory.files().filter { $0.hasPrefix("spool/partial/") }.isEmpty)
    }
}
