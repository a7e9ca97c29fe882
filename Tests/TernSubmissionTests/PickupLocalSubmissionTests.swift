#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import NIOCore
import Testing
import TernConfig
import TernPolicy
import TernSMTPCore
import TernSubmission
import TernTestSupport

/// `tern sendmail` without `-bs`: standard input into a maildrop file.
@Suite struct PickupLocalSubmissionTests {
    private struct Submitted {
        var header: MaildropHeader
        var text: String
    }

    private static let user = LocalUser(name: "alice", uid: 1000)
    /// A user who may set the sender: the owner of the maildrop folder (this test process's).
    private static let trusted = LocalUser(name: "alice", uid: UInt32(geteuid()))
    private static let date = "Sun, 29 Nov 2026 08:09:25 +0000"

    private static func configuration(_ data: String, messageSize: Int = 1_048_576) -> TernConfiguration {
        TernConfiguration(
            hostname: "mx.example.com", dataDirectory: data,
            limits: TernConfiguration.Limits(messageSize: messageSize, minFreeDisk: 0),
            local: LocalRecipients(domains: [.name("example.com"), .name("mx.example.com")]))
    }

    /// Runs the submission on `input` as standard input; returns the file it left.
    private func submit(
        _ arguments: [String], _ input: String, in directory: TemporaryDirectory, messageSize: Int = 1_048_576,
        as user: LocalUser = user
    ) throws -> Submitted {
        let data = directory.path + "/data"
        let inputPath = directory.path + "/input"
        try Data(input.utf8).write(to: URL(fileURLWithPath: inputPath))
        let descriptor = open(inputPath, O_RDONLY)
        defer { close(descriptor) }
        let submission = LocalSubmission(
            configuration: Self.configuration(data, messageSize: messageSize), options: try SendmailOptions(parsing: arguments),
            user: user, arrivedAt: SpoolFixtures.receivedAt)
        let id = try submission.deliver(readingFrom: descriptor)
        let maildrop = Maildrop(dataDirectory: data)
        #expect(try maildrop.pending() == ["\(id).drop"])
        let message = try maildrop.open("\(id).drop")
        var text: [UInt8] = []
        while let chunk = try message.readText(at: text.count) { text.append(contentsOf: chunk.readableBytesView) }
        return Submitted(header: message.header, text: String(decoding: text, as: UTF8.self))
    }

    private func failure(
        _ arguments: [String], _ input: String, in directory: TemporaryDirectory, messageSize: Int = 1_048_576,
        as user: LocalUser = user
    ) -> SendmailFailure? {
        do {
            _ = try submit(arguments, input, in: directory, messageSize: messageSize, as: user)
            return nil
        } catch let failure as SendmailFailure {
            #expect(directory.files().allSatisfy { !$0.hasPrefix("data/") }, "nothing left in the maildrop")
            return failure
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    private static func mailbox(_ text: String) -> Mailbox {
        let at = text.lastIndex(of: "@")!
        return Mailbox(localPart: String(text[..<at]), domain: .name(String(text[text.index(after: at)...])))
    }

    @Test func messageLandsInTheMaildropWithCRLFAndAddedFields() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try submit(
            ["bob", "<carol@example.org>", "bob@example.com", "Dave <dave@example.net>, erin"], "Subject: hi\n\nHello.\n",
            in: directory)
        #expect(result.header == MaildropHeader(
            sender: .mailbox(Self.mailbox("alice@mx.example.com")),
            recipients: ["bob@example.com", "carol@example.org", "dave@example.net", "erin@example.com"].map {
                .mailbox(Self.mailbox($0))
            },
            user: "alice", uid: 1000, arrivedAt: SpoolFixtures.receivedAt))
        let lines = result.text.components(separatedBy: "\r\n")
        #expect(lines[0...2] == ["Subject: hi", "From: alice@mx.example.com", "Date: \(Self.date)"])
        #expect(lines[3].hasPrefix("Message-ID: <") && lines[3].hasSuffix(".1000@mx.example.com>"))
        #expect(lines[4...] == ["", "Hello.", ""])
    }

    @Test func dashTTakesRecipientsFromTheHeaderAndHidesBcc() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let input = "From: Al <al@example.org>\nTo: Bob <bob@example.com>, carol\nBcc: dave@example.net\n"
            + "Date: x\nMessage-ID: <m@x>\n\nBody\n"
        let result = try submit(["-t", "-f", "<>", "erin@example.com", "bob@example.com"], input, in: directory, as: Self.trusted)
        #expect(result.header.sender == .null)
        #expect(result.header.recipients == [
            "erin@example.com", "bob@example.com", "carol@example.com", "dave@example.net",
        ].map { .mailbox(Self.mailbox($0)) })
        #expect(result.text == "From: Al <al@example.org>\r\nTo: Bob <bob@example.com>, carol\r\nDate: x\r\n"
            + "Message-ID: <m@x>\r\n\r\nBody\r\n")
    }

    @Test func aLoneDotEndsTheMessageUnlessDashI() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let ended = try submit(
            ["-f", "a@example.org", "bob"], "Subject: s\nDate: d\nMessage-ID: <i>\n\nx\n.\ny\n", in: directory, as: Self.trusted)
        #expect(ended.text == "Subject: s\r\nDate: d\r\nMessage-ID: <i>\r\nFrom: a@example.org\r\n\r\nx\r\n")
        try Maildrop(dataDirectory: directory.path + "/data").remove(try Maildrop(dataDirectory: directory.path + "/data").pending()[0])
        let kept = try submit(
            ["-oi", "-f", "a@example.org", "bob"], "From: f\nDate: d\nMessage-ID: <i>\n\nx\n.\ny", in: directory, as: Self.trusted)
        #expect(kept.text == "From: f\r\nDate: d\r\nMessage-ID: <i>\r\n\r\nx\r\n.\r\ny\r\n")
    }

    @Test func onlyTrustedUsersSetAnotherSender() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(failure(["-f", "ceo@example.org", "bob"], "x\n", in: directory) == SendmailFailure(
            .noPermission, "only root and the owner of \(directory.path)/data may set the sender (-f ceo@example.org)"))
        #expect(failure(["-f", "<>", "bob"], "x\n", in: directory)?.status == .noPermission)
        let own = try submit(["-f", "alice@mx.example.com", "bob"], "x\n", in: directory)
        #expect(own.header.sender == .mailbox(Self.mailbox("alice@mx.example.com")))
    }

    @Test(arguments: [
        ("Alice Smith", "Alice Smith <bob@example.org>"),
        ("Smith, Alice", "\"Smith, Alice\" <bob@example.org>"),
        ("Al \"Q\" \\ Z", "\"Al \\\"Q\\\" \\\\ Z\" <bob@example.org>"),
        ("Jörg", "=?UTF-8?B?SsO2cmc=?= <bob@example.org>"),
        ("", "bob@example.org"),
    ])
    func fullNameGoesIntoAnAddedFrom(name: String, from: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try submit(["-F", name, "-f", "bob@example.org", "x"], "\n", in: directory, as: Self.trusted)
        #expect(result.text.hasPrefix("From: \(from)\r\nDate: "))
    }

    @Test func longNonASCIIFullNamesBecomeSeveralEncodedWords() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try submit(["-F", String(repeating: "ä", count: 40), "x"], "\n", in: directory)
        let from = try #require(result.text.components(separatedBy: "\r\n").first)
        let words = from.dropFirst("From: ".count).split(separator: " ").dropLast()
        #expect(words.count == 2)
        #expect(words.allSatisfy { $0.hasPrefix("=?UTF-8?B?") && $0.hasSuffix("?=") && $0.count <= 75 })
    }

    @Test func failuresHaveSysexitsStatusesAndLeaveNothing() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(failure([], "x\n", in: directory) == SendmailFailure(.usage, "no recipients"))
        #expect(failure(["-t"], "Subject: none\n\nx\n", in: directory) == SendmailFailure(.usage, "no recipients"))
        #expect(failure(["a b@@c"], "x\n", in: directory) == SendmailFailure(.dataError, "malformed recipient address: a b@@c"))
        #expect(failure(["-f", "x@", "bob"], "x\n", in: directory) == SendmailFailure(.dataError, "malformed sender address: x@"))
        #expect(failure(["-f", "a@example.org, b@example.org", "bob"], "x\n", in: directory)
            == SendmailFailure(.dataError, "malformed sender address: a@example.org, b@example.org"))
        #expect(failure(["bob, John Smith"], "x\n", in: directory)
            == SendmailFailure(.dataError, "malformed recipient address: bob, John Smith"))
        #expect(failure(["-t"], "To: Bob <bob@example.com\n\nx\n", in: directory)
            == SendmailFailure(.dataError, "malformed to: field: unterminated angle address"))
        #expect(failure(["-t"], "To: John Smith\n\nx\n", in: directory)
            == SendmailFailure(.dataError, "malformed to: field: malformed local part"))
        #expect(failure(["bob"], String(repeating: "0123456789\n", count: 200), in: directory, messageSize: 1000)
            == SendmailFailure(.dataError, "message larger than 1000 octets"))
    }

    @Test func unwritableMaildropIsCannotCreate() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try Data("a file".utf8).write(to: URL(fileURLWithPath: directory.path + "/data"))
        let submission = LocalSubmission(
            configuration: Self.configuration(directory.path + "/data"), options: try SendmailOptions(parsing: ["bob"]),
            user: Self.user)
        do {
            _ = try submission.deliver(readingFrom: -1)
            Issue.record("a maildrop below a regular file was created")
        } catch {
            #expect(error.status == .cannotCreate)
        }
    }

    @Test func unreadableInputIsAnIOError() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let submission = LocalSubmission(
            configuration: Self.configuration(directory.path + "/data"), options: try SendmailOptions(parsing: ["bob"]),
            user: Self.user)
        do {
            _ = try submission.deliver(readingFrom: -1)
            Issue.record("read from descriptor -1 succeeded")
        } catch {
            #expect(error.status == .ioError)
        }
        #expect(try Maildrop(dataDirectory: directory.path + "/data").pending().isEmpty)
        #expect(directory.files().isEmpty)
    }
}
