import Foundation
import NIOCore
import NIOPosix
import TernSpool
import TernTestSupport
import Testing
import TernMessage
import TernSMTPCore

@Suite struct FileSpoolRecoveryTests {
    private func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    @Test func recoveryCreatesTheLayout() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = FileSpool(root: directory.path + "/spool", threadPool: .singleton, logger: quietLogger)
        #expect(try await spool.recover() == RecoveryReport())
        for name in ["tmp", "incoming", "corrupt"] {
            var isDirectory: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: "\(directory.path)/spool/\(name)", isDirectory: &isDirectory))
            #expect(isDirectory.boolValue)
        }
        #expect(try await spool.recover() == RecoveryReport(), "a second run finds nothing to do")
    }

    /// Writes a message in the two-file layout (`<id>.body`, `<id>.env`), or only the parts
    /// asked for; its id.
    private func writeTwoFiles(
        _ text: String, in incoming: String, status: RecipientStatus = .pending, body: Bool = true, envelope: Bool = true
    ) throws -> QueueID {
        var record = SpoolFixtures.envelope()
        record.id = QueueID()
        record.size = text.utf8.count
        record.recipients[0].status = status
        if body { try write(text, to: "\(incoming)/\(record.id).body") }
        if envelope { try Data(EnvelopeRecord.encode(record)).write(to: URL(fileURLWithPath: "\(incoming)/\(record.id).env")) }
        return record.id
    }

    @Test func recoveryCleansUpAfterACrash() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try await makeSpool(in: directory)
        let incoming = directory.path + "/spool/incoming"
        let good = try await store(Array("good\r\n".utf8), SpoolFixtures.envelope(), in: spool)
        let updated = try await store(Array("updated\r\n".utf8), SpoolFixtures.envelope(), in: spool)
        var changed = try await spool.envelope(updated)
        changed.attempts = 3
        try await spool.update(changed)
        let damaged = try await store(Array("damaged\r\n".utf8), SpoolFixtures.envelope(), in: spool)
        let cut = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(incoming)/\(damaged).msg"))
        try cut.truncate(atOffset: 20)
        try cut.close()
        let twoFiles = try writeTwoFiles("fine\r\n", in: incoming)
        let damagedRecord = try writeTwoFiles("bad record\r\n", in: incoming)
        try write("TERN-ENVELOPE 1\nid: \(damagedRecord)\n", to: "\(incoming)/\(damagedRecord).env")
        let bodiless = try writeTwoFiles("lost\r\n", in: incoming, body: false)
        let removalCutShort = try writeTwoFiles(
            "gone\r\n", in: incoming, status: .delivered(Date(timeIntervalSince1970: 1_795_940_000)), body: false)
        let orphan = try writeTwoFiles("orphan\r\n", in: incoming, envelope: false)
        try write("stray", to: "\(incoming)/notes.txt")
        let unfinished = try await spool.beginMessage()
        try await unfinished.append(ByteBuffer(bytes: SpoolFixtures.body(count: 200_000)))
        try write("half an update", to: directory.path + "/spool/tmp/\(good).12345.update")

        let restarted = FileSpool(root: directory.path + "/spool", threadPool: .singleton, logger: quietLogger)
        let report = try await restarted.recover()
        #expect(report == RecoveryReport(
            messages: 3, purgedTemporaryFiles: 2, quarantined: 4, orphanBodies: 1, finishedRemovals: 1))
        #expect(
            directory.files()
                == [
                    "spool/corrupt/\(damaged).msg", "spool/corrupt/\(damagedRecord).body",
                    "spool/corrupt/\(damagedRecord).env", "spool/corrupt/\(bodiless).env", "spool/corrupt/notes.txt",
                    "spool/incoming/\(good).msg", "spool/incoming/\(updated).msg", "spool/incoming/\(updated).env",
                    "spool/incoming/\(twoFiles).body", "spool/incoming/\(twoFiles).env",
                ].sorted())
        #expect(!directory.files().contains { $0.contains(removalCutShort.description) || $0.contains(orphan.description) })
        #expect(try await restarted.all().map(\.id) == [good, updated, twoFiles].sorted())
        #expect(try await restarted.envelope(updated).attempts == 3, "the update wins over the record in the text's file")
        #expect(try await contents(of: restarted.openBody(good)) == Array("good\r\n".utf8))
        #expect(try await contents(of: restarted.openBody(updated)) == Array("updated\r\n".utf8))
        #expect(try await contents(of: restarted.openBody(twoFiles)) == Array("fine\r\n".utf8))
        try await restarted.remove(twoFiles)
        #expect(!directory.files().contains { $0.contains(twoFiles.description) })
    }

    @Test func allQuarantinesARecordDamagedAfterStart() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try await makeSpool(in: directory)
        let good = try await store(Array("good\r\n".utf8), SpoolFixtures.envelope(), in: spool)
        let damaged = try await store(Array("bad\r\n".utf8), SpoolFixtures.envelope(), in: spool)
        try write("TERN-ENVELOPE 1\nid: \(damaged)\n", to: directory.path + "/spool/incoming/\(damaged).env")
        #expect(try await spool.all().map(\.id) == [good])
        #expect(directory.files().filter { $0.hasPrefix("spool/corrupt/") } == [
            "spool/corrupt/\(damaged).env", "spool/corrupt/\(damaged).msg",
        ])
        await #expect(throws: SpoolError.unknownMessage(damaged)) { try await spool.envelope(damaged) }
    }
}
