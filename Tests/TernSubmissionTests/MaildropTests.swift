#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import NIOCore
import Testing
import TernIO
import TernMessage
import TernSMTPCore
import TernSubmission
import TernTestSupport

@Suite struct MaildropTests {
    private static let header = MaildropHeader(
        sender: .mailbox(SpoolFixtures.mailbox("alice", "mx.example.com")),
        recipients: [.mailbox(SpoolFixtures.mailbox("bob")), .postmaster, .mailbox(SpoolFixtures.mailbox("ünï", "例え.jp"))],
        user: "alice smith%", uid: 1000, arrivedAt: SpoolFixtures.receivedAt)

    private func text(of message: MaildropMessage, chunk: Int = 64 * 1024) throws -> [UInt8] {
        var bytes: [UInt8] = []
        while let part = try message.readText(at: bytes.count, maximum: chunk) {
            #expect(part.readableBytes <= chunk)
            bytes.append(contentsOf: part.readableBytesView)
        }
        return bytes
    }

    @Test func headerRoundTrips() throws {
        let encoded = Self.header.encoded()
        #expect(String(decoding: encoded, as: UTF8.self).hasPrefix("TERN-MAILDROP 1\narrived: 2026-11-29T"))
        #expect(encoded.suffix(2) == Array("\n\n".utf8))
        #expect(try MaildropHeader(decoding: encoded.dropLast()) == Self.header)
        let null = MaildropHeader(sender: .null, recipients: [.postmaster], user: "root", uid: 0, arrivedAt: Date(timeIntervalSince1970: 0))
        #expect(try MaildropHeader(decoding: null.encoded().dropLast()) == null)
    }

    @Test(arguments: [
        ("TERN-MAILDROP 2\narrived: 2026-11-29T08:09:25.123456Z\n", MaildropError.unsupportedVersion("TERN-MAILDROP 2")),
        ("TERN-MAILDROP 1\nuser: a\nuid: 1\nsender: <>\nrcpt: <b@example.com>\n", .missingField("arrived")),
        ("TERN-MAILDROP 1\narrived: 2026-11-29T08:09:25.123456Z\nuser: a\nuid: 1\nsender: <>\n", .missingField("rcpt")),
        ("TERN-MAILDROP 1\narrived: 2026-11-29T08:09:25.123456Z\nuser: a\nuid: x\nsender: <>\nrcpt: <b@example.com>\n",
         .badField(line: 4, key: "uid")),
        ("TERN-MAILDROP 1\narrived: 2026-11-29T08:09:25.123456Z\nuser: a\nuid: 1\nsender: <>\nrcpt: b@example.com\n",
         .badField(line: 6, key: "rcpt")),
        ("TERN-MAILDROP 1\narrived: 2026-11-29T08:09:25.123456Z\nuser: a\nuser: b\n", .badField(line: 4, key: "user")),
        ("TERN-MAILDROP 1\nsize: 3\n", .badField(line: 2, key: "size")),
        ("TERN-MAILDROP 1\narrived: 2026-11-29T08:09:25.123456Z", .unterminatedHeader),
    ])
    func malformedHeadersAreRejected(text: String, error: MaildropError) {
        #expect(throws: error) { try MaildropHeader(decoding: Array(text.utf8)) }
    }

    @Test func fileAppearsOnlyWhenCommitted() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let maildrop = Maildrop(dataDirectory: directory.path + "/data")
        try maildrop.prepare()
        let writer = try maildrop.create(Self.header)
        try writer.append(Array("Subject: hi\r\n\r\n".utf8))
        try writer.append(Array("Hello.\r\n".utf8))
        #expect(writer.size == 23)
        #expect(try maildrop.pending().isEmpty, "an unfinished file is not pending")
        #expect(directory.files() == ["data/maildrop/.tmp-\(writer.id)"])
        #expect(!FileManager.default.fileExists(atPath: writer.finalPath))

        try writer.commit()
        let name = "\(writer.id).drop"
        #expect(try maildrop.pending() == [name])
        #expect(directory.files() == ["data/maildrop/\(name)"])
        writer.abort()
        #expect(directory.files() == ["data/maildrop/\(name)"], "abort after commit changes nothing")
        #expect(throws: MaildropWriterFinished()) { try writer.append(Array("x".utf8)) }

        let message = try maildrop.open(name)
        #expect(message.header == Self.header)
        #expect(try text(of: message) == Array("Subject: hi\r\n\r\nHello.\r\n".utf8))
        try maildrop.remove(name)
        #expect(directory.files().isEmpty)
        #expect(try maildrop.pending().isEmpty)
    }

    @Test func filesArePrivateInAFolderOpenToEveryLocalUser() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let maildrop = Maildrop(directory: directory.path + "/a/b/maildrop")
        try maildrop.prepare()
        let writer = try maildrop.create(Self.header)
        try writer.commit()
        func mode(_ path: String) throws -> Int? {
            try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        }
        #expect(try mode(writer.finalPath) == 0o600)
        #expect(try mode(maildrop.directory) == 0o1733, "sticky, writable and searchable by all, listable by none")
        #expect(try mode(directory.path + "/a/b") == 0o711, "searchable, not readable")
        #expect(try mode(directory.path + "/a") == 0o700)
    }

    @Test func aSymbolicLinkIsNeverTheFolder() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.path + "/elsewhere", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: directory.path + "/maildrop", withDestinationPath: "elsewhere")
        #expect(throws: FileSystemError.self) { try Maildrop(directory: directory.path + "/maildrop").prepare() }
        let mode = try FileManager.default.attributesOfItem(atPath: directory.path + "/elsewhere")[.posixPermissions] as? Int
        #expect(mode == 0o755 || mode == 0o700, "the link's target is left alone")
    }

    @Test(.enabled(if: geteuid() == 0, "only root can give files away"))
    func rootGivesWhatItCreatesToTheFolderOwner() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(chown(directory.path, 1, 1) == 0)
        let maildrop = Maildrop(dataDirectory: directory.path)
        try maildrop.prepare()
        let writer = try maildrop.create(Self.header)
        try writer.commit()
        for path in [maildrop.directory, writer.finalPath] {
            var info = stat()
            #expect(stat(path, &info) == 0)
            #expect((info.st_uid, info.st_gid) == (1, 1), "\(path)")
        }
    }

    @Test func abortedAndDroppedWritersLeaveNothing() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let maildrop = Maildrop(directory: directory.path)
        let aborted = try maildrop.create(Self.header)
        try aborted.append(Array("text\r\n".utf8))
        aborted.abort()
        #expect(throws: MaildropWriterFinished()) { try aborted.commit() }
        do {
            let dropped = try maildrop.create(Self.header)
            try dropped.append(Array("text\r\n".utf8))
        }
        #expect(directory.files().isEmpty)
    }

    @Test(arguments: [TestFileOperations.Call.write, .fsync, .rename])
    func failedCommitLeavesNothing(call: TestFileOperations.Call) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let maildrop = Maildrop(
            directory: directory.path,
            operations: TestFileOperations { failing, path in failing == call && !path.hasSuffix("/") && path != directory.path })
        #expect(throws: FileSystemError.self) {
            let writer = try maildrop.create(Self.header)
            try writer.append(Array("text\r\n".utf8))
            try writer.commit()
        }
        #expect(directory.files().isEmpty)
    }

    @Test func failedDirectorySyncTakesTheFileBack() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let maildrop = Maildrop(
            directory: directory.path, operations: TestFileOperations { call, path in call == .fsync && path == directory.path })
        let writer = try maildrop.create(Self.header)
        #expect(throws: FileSystemError.self) { try writer.commit() }
        #expect(directory.files().isEmpty)
    }

    @Test func largeTextIsReadInChunks() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let maildrop = Maildrop(directory: directory.path)
        let body = SpoolFixtures.body(count: 3 * 1024 * 1024 + 17)
        let writer = try maildrop.create(Self.header)
        var offset = 0
        while offset < body.count {
            try writer.append(Array(body[offset..<min(offset + 50_000, body.count)]))
            offset += 50_000
        }
        try writer.commit()
        let message = try maildrop.open("\(writer.id).drop")
        #expect(try text(of: message, chunk: 64 * 1024) == body)
        #expect(try message.readText(at: body.count) == nil)
    }

    @Test func pendingListsOnlyCompleteFilesOldestFirst() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let maildrop = Maildrop(directory: directory.path)
        let first = try maildrop.create(Self.header)
        try first.commit()
        let second = try maildrop.create(Self.header)
        try second.commit()
        let open = try maildrop.create(Self.header)
        for stray in ["notes.txt", "NOTANID.drop", "\(QueueID()).drop.old"] {
            try Data().write(to: URL(fileURLWithPath: "\(directory.path)/\(stray)"))
        }
        #expect(try maildrop.pending() == ["\(first.id).drop", "\(second.id).drop"])
        open.abort()
    }

    @Test func unreadableFilesAreQuarantined() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let maildrop = Maildrop(dataDirectory: directory.path)
        try maildrop.prepare()
        let name = "\(QueueID()).drop"
        let path = "\(maildrop.directory)/\(name)"
        try Data("TERN-MAILDROP 1\narrived: soon\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: MaildropError.unterminatedHeader) { try maildrop.open(name) }
        try Data(repeating: UInt8(ascii: "x"), count: MaildropHeader.maximumSize + 10).write(to: URL(fileURLWithPath: path))
        #expect(throws: MaildropError.headerTooLong) { try maildrop.open(name) }
        try Data(("TERN-MAILDROP 1\n" + String(repeating: "user: x\n", count: 200_000)).utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: MaildropError.headerTooLong) { try maildrop.open(name) }
        try maildrop.quarantine(name)
        #expect(directory.files() == ["maildrop.corrupt/\(name)"], "outside the folder every user may write to")
        #expect(try maildrop.pending().isEmpty)
    }
}
