import Foundation
import NIOPosix
import Testing
import TernMessage
@testable import TernSpool
import TernTestSupport

/// Files of removed messages written over by new ones (docs/architecture.md "Spare files").
@Suite struct SpareFilesTests {
    private func spares(in directory: TemporaryDirectory) -> [String] {
        directory.files().filter { $0.hasPrefix("spool/spare/") }
    }

    /// Another instance on the same spool, with no text in memory: it reads the files, as a
    /// later attempt does.
    private func reader(of directory: TemporaryDirectory) -> FileSpool {
        FileSpool(root: directory.path + "/spool", threadPool: .singleton, logger: quietLogger)
    }

    @Test func aRemovedTextIsWrittenOverByANewMessageCutToItsLength() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let first = try await makeSpool(in: directory)
        let long = SpoolFixtures.body(count: 20_000)
        try await first.remove(try await store(long, SpoolFixtures.envelope(), in: first))
        #expect(spares(in: directory) == ["spool/spare/0"])
        // A restarted spool takes over the spares it finds.
        let second = try await makeSpool(in: directory)
        let short = Array("Subject: short\r\n\r\nHi.\r\n".utf8)
        let id = try await store(short, SpoolFixtures.envelope(), in: second)
        #expect(spares(in: directory).isEmpty, "the spare became the new message")
        #expect(directory.files() == ["spool/incoming/\(id).msg"])
        // Read back from the file, not from memory: nothing of the longer text is left after it.
        let third = try await makeSpool(in: directory)
        #expect(try await contents(of: third.openBody(id)) == short)
        #expect(try await third.envelope(id).size == short.count)
    }

    @Test func aTextStillBeingReadIsNotWrittenOver() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try await makeSpool(in: directory)
        let text = SpoolFixtures.body(count: 300_000)
        let id = try await store(text, SpoolFixtures.envelope(), in: spool)
        var body: SpoolBody? = try await reader(of: directory).openBody(id)
        try await spool.remove(id)
        #expect(spares(in: directory).isEmpty, "a text over the spare limit is unlinked")

        let small = Array("Subject: kept\r\n\r\nHi.\r\n".utf8)
        let smallID = try await store(small, SpoolFixtures.envelope(), in: spool)
        body = try await reader(of: directory).openBody(smallID)
        try await spool.remove(smallID)
        #expect(spares(in: directory) == ["spool/spare/0"])
        let next = try await store(Array("Subject: next\r\n\r\n.\r\n".utf8), SpoolFixtures.envelope(), in: spool)
        #expect(spares(in: directory) == ["spool/spare/0"], "a spare someone reads is left alone")
        #expect(try await contents(of: body!) == small, "the removed text still reads as it was")
        body = nil
        let last = try await store(Array("Subject: last\r\n\r\n.\r\n".utf8), SpoolFixtures.envelope(), in: spool)
        #expect(spares(in: directory).isEmpty, "once nobody reads it, the spare is written over")
        #expect(directory.files() == ["spool/incoming/\(last).msg", "spool/incoming/\(next).msg"].sorted())
    }
}
