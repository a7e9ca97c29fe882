import Foundation
import NIOCore
import NIOPosix
import TernSpool
import TernTestSupport
import Testing
import TernMessage

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

    @Test func recoveryCleansUpAfterACrash() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try await makeSpool(in: directory)
        let good = try await store(Array("good\r\n".utf8), SpoolFixtures.envelope(), in: spool)
        let alsoGood = try await store(Array("fine\r\n".utf8), SpoolFixtures.envelope(), in: spool)
        let damaged = try await store(Array("damaged\r\n".utf8), SpoolFixtures.envelope(), in: spool)
        let bodiless = try await store(Array("lost\r\n".utf8), SpoolFixtures.envelope(), in: spool)
        let orphan = try await store(Array("orphan\r\n".utf8), SpoolFixtures.envelope(), in: spool)
        let incoming = directory.path + "/spool/incoming"

        let damagedRecord = try String(contentsOfFile: "\(incoming)/\(damaged).env", encoding: .utf8)
        try write(damagedRecord.replacingOccurrences(of: "attempts: 0", with: "attempts: 9"), to: "\(incoming)/\(damaged).env")
        try FileManager.default.removeItem(atPath: "\(incoming)/\(bodiless).body")
        try FileManager.default.removeItem(atPath: "\(incoming)/\(orphan).env")
        try write("stray", to: "\(incoming)/notes.txt")
        let unfinished = try await spool.beginMessage()
        try await unfinished.append(ByteBuffer(bytes: SpoolFixtures.body(count: 200_000)))
        try write("half an update", to: directory.path + "/spool/tmp/\(good).12345.update")

        let restarted = FileSpool(root: directory.path + "/spool", threadPool: .singleton, logger: quietLogger)
        let report = try await restarted.recover()
        #expect(report == RecoveryReport(messages: 2, purgedTemporaryFiles: 2, quarantined: 3, orphanBodies: 1))
        #expect(
            directory.files()
                == [
                    "spool/corrupt/\(damaged).body", "spool/corrupt/\(damaged).env", "spool/corrupt/\(bodiless).env",
                    "spool/corrupt/notes.txt", "spool/incoming/\(good).body", "spool/incoming/\(good).env",
                    "spool/incoming/\(alsoGood).body", "spool/incoming/\(alsoGood).env",
                ].sorted())
        #expect(try await restarted.all().map(\.id) == [good, alsoGood].sorted())
        #expect(try await contents(of: restarted.openBody(good)) == Array("good\r\n".utf8))
    }

    @Test func allQuarantinesARecordDamagedAfterStart() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try await makeSpool(in: directory)
        let good = try await store(Array("good\r\n".utf8), SpoolFixtures.envelope(), in: spool)
        let damaged = try await store(Array("bad\r\n".utf8), SpoolFixtures.envelope(), in: spool)
        try write("TERN-ENVELOPE 1\nid: \(damaged)\n", to: directory.path + "/spool/incoming/\(damaged).env")
        #expect(try await spool.all().map(\.id) == [good])
        #expect(directory.files().filter { $0.hasPrefix("spool/corrupt/") }.count == 2)
        await #expect(throws: SpoolError.unknownMessage(damaged)) { try await spool.envelope(damaged) }
    }
}
