import Foundation
import NIOCore
import Testing
import TernSMTPCore
import TernTestSupport
import TernSpool

/// Checkpoint records, in `partial/` or in the database: kept across a broken connection and a
/// restart, resumed, completed exactly once (docs/behaviour.md §16).
@Suite struct CheckpointSpoolTests {
    static let key = CheckpointKey(clientName: "client.example.net", transactionID: "<t1@client.example.net>", account: "bob")

    @Test(arguments: SpoolBackend.allCases) func suspendedTextSurvivesARestartAndResumes(_ backend: SpoolBackend) async throws {
        try await backend.withStorage { storage in
            try await storage.open { spool in
                let writer = try await spool.beginCheckpointed(Self.key, command: .data, syncEvery: 8)
                #expect(try await spool.checkpoints().map(\.point) == [.start], "the record exists from the 354 on")
                try await writer.append(ByteBuffer(string: "Subject: a\r\n\r\nline one\r\nline t"))
                await writer.reached(ResumePoint(streamOffset: 25, storedLength: 24))
                await writer.suspend()
            }
            try await storage.open { restarted in try await resume(restarted) }
            #expect(try await storage.strayTexts() == 0)
            if case .files(let directory) = storage {
                #expect(directory.files().filter { $0.hasPrefix("spool/partial/") && $0.hasSuffix(".body") }.isEmpty,
                        "the partial text goes once accepted")
            }
        }
    }

    /// The restarted server finds the record, resumes its text and completes it.
    private func resume(_ restarted: any SpoolStore & CheckpointSpool) async throws {
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
    }

    @Test(arguments: SpoolBackend.allCases) func unsyncedTextNeverCounts(_ backend: SpoolBackend) async throws {
        try await backend.withStorage { storage in
            try await storage.open { spool in
                let writer = try await spool.beginCheckpointed(Self.key, command: .bdat, syncEvery: 1_000)
                try await writer.append(ByteBuffer(string: "0123456789"))
                await writer.reached(ResumePoint(streamOffset: 10, storedLength: 10))
                // Killed now: nothing was due for a sync, so the record still says 0.
            }
            try await storage.open { restarted in
                let records = try await restarted.checkpoints()
                #expect(records.map(\.point) == [.start])
            }
        }
    }

    @Test(arguments: SpoolBackend.allCases) func aResumeGoesOnFromTheRecordedPoint(_ backend: SpoolBackend) async throws {
        try await backend.withStorage { storage in
            let text = SpoolFixtures.body(count: 700_000)
            try await storage.open { spool in
                let writer = try await spool.beginCheckpointed(Self.key, command: .bdat, syncEvery: 100_000)
                try await writer.append(ByteBuffer(bytes: text[..<300_000]))
                await writer.reached(ResumePoint(streamOffset: 300_000, storedLength: 300_000))
                try await writer.append(ByteBuffer(bytes: text[300_000..<350_000]))
                await writer.suspend()
            }
            try await storage.open { spool in
                let record = try #require(try await spool.checkpoints().first)
                #expect(record.point == ResumePoint(streamOffset: 300_000, storedLength: 300_000))
                #expect(try await contents(of: spool.storedText(of: record)) == Array(text[..<300_000]))
                let resumed = try await spool.resumeCheckpointed(record, syncEvery: 100_000)
                try await resumed.append(ByteBuffer(bytes: text[300_000...]))
                try await resumed.commit(SpoolFixtures.envelope())
                #expect(try await contents(of: spool.openBody(resumed.id)) == text)
            }
            #expect(try await storage.strayTexts() == 0)
        }
    }

    @Test(arguments: SpoolBackend.allCases) func anAbortRemovesTheRecord(_ backend: SpoolBackend) async throws {
        try await backend.withStorage { storage in
            try await storage.open { spool in
                let writer = try await spool.beginCheckpointed(Self.key, command: .data, syncEvery: 1)
                try await writer.append(ByteBuffer(string: "x\r\n"))
                await writer.reached(ResumePoint(streamOffset: 3, storedLength: 3))
                await writer.abort()
                #expect(try await spool.checkpoints().isEmpty)
            }
            if case .files(let directory) = storage {
                #expect(directory.files().filter { $0.hasPrefix("spool/partial/") }.isEmpty)
            }
            #expect(try await storage.strayTexts() == 0)
        }
    }
}
