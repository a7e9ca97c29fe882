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

@Suite struct MaildirCourierTests {
    @Test func deliveredFileMatchesByteForByte() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let envelope = SpoolFixtures.envelope()
        let body = chunkedBody(["Subject: hi\r", "\nFrom: a@example.org\r\n\r\nline one\r\nbare\rcr\r", "\n", "\r", "\r\nend\r"])
        let path = try await fixture.courier.deliver(
            envelope, to: SpoolFixtures.mailbox("bob"), for: .mailbox(SpoolFixtures.mailbox("Bob")), body: body)

        let expected =
            "Return-Path: <alice@example.org>\n" + "Delivered-To: bob@example.com\n"
            + "Received: from client.example.org ([192.0.2.1])\n"
            + "\tby mx.example.com (Tern) with ESMTP id \(envelope.id)\n"
            + "\tfor <Bob@example.com>; Sun, 29 Nov 2026 08:09:25 +0000\n"
            + "Subject: hi\nFrom: a@example.org\n\nline one\nbare\rcr\n\r\nend\r"
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(expected.utf8))
        let maildir = fixture.mailRoot + "/example.com/bob"
        #expect(path.hasPrefix(maildir + "/new/"))
        #expect(names(in: maildir) == ["cur", "new", "tmp"])
        #expect(names(in: maildir + "/tmp").isEmpty)
        for directory in [fixture.mailRoot, fixture.mailRoot + "/example.com", maildir, maildir + "/new"] {
            let mode = try FileManager.default.attributesOfItem(atPath: directory)[.posixPermissions] as? Int
            #expect(mode == 0o700, "\(directory)")
        }
    }

    @Test func aMaildirRemovedWhileTheServerRunsIsMadeAgain() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let bob = SpoolFixtures.mailbox("bob")
        let first = try await fixture.courier.deliver(
            SpoolFixtures.envelope(), to: bob, for: .mailbox(bob), body: chunkedBody(["one\r\n"]))
        let maildir = fixture.mailRoot + "/example.com/bob"
        #expect(first.hasPrefix(maildir + "/new/"))
        try FileManager.default.removeItem(atPath: maildir)
        let second = try await fixture.courier.deliver(
            SpoolFixtures.envelope(), to: bob, for: .mailbox(bob), body: chunkedBody(["two\r\n"]))
        #expect(second.hasPrefix(maildir + "/new/"))
        #expect(names(in: maildir) == ["cur", "new", "tmp"])
        #expect(try String(contentsOfFile: second, encoding: .utf8).hasSuffix("two\n"))
    }

    @Test func fileNameFollowsTheMaildirConvention() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let courier = MaildirCourier(
            mailRoot: fixture.mailRoot, hostname: "odd/host:name", threadPool: .singleton, logger: quietLogger)
        let path = try await courier.deliver(
            SpoolFixtures.envelope(), to: SpoolFixtures.mailbox("bob"), for: .mailbox(SpoolFixtures.mailbox("bob")),
            body: chunkedBody(["x\r\n"]))
        let name = String(path.split(separator: "/").last!)
        let pattern = #/^[0-9]+\.M[0-9]{1,6}P[0-9]+Q[0-9]+_[0-9A-Z]{16}R0\.odd\\057host\\072name$/#
        #expect(name.wholeMatch(of: pattern) != nil, "\(name)")
    }

    @Test func nullSenderAndIPv6Client() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        var envelope = SpoolFixtures.envelope(sender: .null)
        envelope.clientAddress = "2001:db8::25"
        envelope.clientName = "[IPv6:2001:db8::25]"
        envelope.protocolName = "UTF8SMTPS"
        let path = try await fixture.courier.deliver(
            envelope, to: SpoolFixtures.mailbox("postmaster"), for: .postmaster, body: chunkedBody(["Hi\r\n"]))
        let lines = try text(at: path).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == "Return-Path: <>")
        #expect(lines[1] == "Delivered-To: postmaster@example.com")
        #expect(lines[2] == "Received: from [IPv6:2001:db8::25] ([IPv6:2001:db8::25])")
        #expect(lines[3] == "\tby mx.example.com (Tern) with UTF8SMTPS id \(envelope.id)")
        #expect(lines[4] == "\tfor <Postmaster>; Sun, 29 Nov 2026 08:09:25 +0000")
        #expect(lines[5] == "Hi")
    }

    @Test func folderNamesAreLowerCased() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        _ = try await fixture.courier.deliver(
            SpoolFixtures.envelope(), to: SpoolFixtures.mailbox("Bob.Smith", "Example.COM"),
            for: .mailbox(SpoolFixtures.mailbox("Bob.Smith", "Example.COM")), body: chunkedBody(["x"]))
        #expect(fixture.delivered("bob.smith").count == 1)
    }

    @Test func canonicallyEquivalentNamesShareOneFolderInNFC() async throws {
        // "jörg" with ö precomposed (U+00F6) and decomposed (o + U+0308): one mailbox to the
        // recipient tables, so one folder, named in NFC.
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        for localPart in ["j\u{F6}rg", "jo\u{308}rg", "J\u{D6}RG"] {
            let mailbox = SpoolFixtures.mailbox(localPart)
            _ = try await fixture.courier.deliver(
                SpoolFixtures.envelope(), to: mailbox, for: .mailbox(mailbox), body: chunkedBody(["x"]))
        }
        let folders = names(in: fixture.mailRoot + "/example.com")
        #expect(folders.map { Array($0.utf8) } == [Array("j\u{F6}rg".utf8)])
        #expect(fixture.delivered("j\u{F6}rg").count == 3)
    }

    @Test(arguments: [
        ("..", "%2E."), (".", "%2E"), ("../../etc", "%2E.%2F..%2Fetc"), ("a/b", "a%2Fb"), ("/abs", "%2Fabs"),
        (".hidden", "%2Ehidden"), ("100%", "100%25"), ("", "%"), ("tab\there", "tab%09here"), ("ünï", "ünï"),
    ])
    func unsafeLocalPartsStayInsideTheRoot(_ localPart: String, _ folder: String) async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let mailbox = SpoolFixtures.mailbox(localPart)
        let path = try await fixture.courier.deliver(
            SpoolFixtures.envelope(), to: mailbox, for: .mailbox(mailbox), body: chunkedBody(["x"]))
        #expect(path.hasPrefix("\(fixture.mailRoot)/example.com/\(folder)/new/"), "\(path)")
        #expect(names(in: fixture.directory.path) == ["mail", "spool"])
        #expect(names(in: fixture.mailRoot) == ["example.com"])
        #expect(names(in: fixture.mailRoot + "/example.com") == [folder])
    }

    @Test func unsafeDomainsStayInsideTheRoot() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        for domain in [Domain.name(".."), .addressLiteral("192.0.2.1"), .name("a/../..")] {
            let mailbox = Mailbox(localPart: "bob", domain: domain)
            _ = try await fixture.courier.deliver(
                SpoolFixtures.envelope(), to: mailbox, for: .mailbox(mailbox), body: chunkedBody(["x"]))
        }
        #expect(names(in: fixture.mailRoot) == ["%2E.", "[192.0.2.1]", "a%2F..%2F.."])
    }

    @Test func overlongNamesFailPermanently() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let mailbox = SpoolFixtures.mailbox(String(repeating: "/", count: 100))
        await #expect(throws: MaildirDeliveryError.unusableMailboxName(mailbox.description)) {
            try await fixture.courier.deliver(
                SpoolFixtures.envelope(), to: mailbox, for: .mailbox(mailbox), body: chunkedBody(["x"]))
        }
    }

    @Test func concurrentDeliveriesGetUniqueNames() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let paths = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<50 {
                group.addTask {
                    try await fixture.courier.deliver(
                        SpoolFixtures.envelope(), to: SpoolFixtures.mailbox("bob"),
                        for: .mailbox(SpoolFixtures.mailbox("bob")), body: chunkedBody(["message \(index)\r\n"]))
                }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(paths.count == 50)
        #expect(fixture.delivered("bob").count == 50)
        let bodies = try Set(paths.map { try text(at: $0).split(separator: "\n").last.map(String.init) ?? "" })
        #expect(bodies == Set((0..<50).map { "message \($0)" }))
    }

    @Test func fileSystemFailureIsTemporaryAndLeavesNothing() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        try FileManager.default.createDirectory(atPath: fixture.mailRoot, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: fixture.mailRoot + "/example.com", contents: Data("not a folder".utf8))
        await #expect(throws: FileSystemError.self) {
            try await fixture.courier.deliver(
                SpoolFixtures.envelope(), to: SpoolFixtures.mailbox("bob"), for: .mailbox(SpoolFixtures.mailbox("bob")),
                body: chunkedBody(["x"]))
        }
        #expect(names(in: fixture.mailRoot) == ["example.com"])
    }

    @Test func cancellationLeavesNoFile() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let started = NIOLockedValueBox(false)
        let body = SpoolBody { offset in
            if offset == 0 { return ByteBuffer(string: "Subject: slow\r\n") }
            started.withLockedValue { $0 = true }
            try await Task.sleep(for: .seconds(60))
            return nil
        }
        let courier = fixture.courier
        let delivery = Task {
            try await courier.deliver(
                SpoolFixtures.envelope(), to: SpoolFixtures.mailbox("bob"), for: .mailbox(SpoolFixtures.mailbox("bob")),
                body: body)
        }
        #expect(try await eventually { started.withLockedValue { $0 } })
        delivery.cancel()
        await #expect(throws: CancellationError.self) { try await delivery.value }
        #expect(names(in: fixture.mailRoot + "/example.com/bob/new").isEmpty)
        #expect(names(in: fixture.mailRoot + "/example.com/bob/tmp").isEmpty)
    }

    @Test func earlierCopyIsFoundInNewOrCurInsteadOfWrittenAgain() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let bob = SpoolFixtures.mailbox("bob")
        let envelope = SpoolFixtures.envelope(recipients: [SpoolFixtures.localRecipient("carol"), .init(
            original: .mailbox(bob), target: .local(bob))])
        let first = try await fixture.courier.deliver(
            envelope, recipient: 1, to: bob, body: chunkedBody(["x\r\n"]))
        guard case .written(let written) = first else { Issue.record("expected a new copy, got \(first)"); return }

        let renamed = MaildirCourier(
            mailRoot: fixture.mailRoot, hostname: "other.host", threadPool: .singleton, logger: quietLogger)
        let again = try await renamed.deliver(
            envelope, recipient: 1, to: bob, body: chunkedBody(["x\r\n"]), lookingForEarlierCopy: true)
        #expect(again == .found(written))

        // A mail client read it: cur/, flags added.
        let maildir = fixture.mailRoot + "/example.com/bob"
        let read = maildir + "/cur/" + String(written.split(separator: "/").last!) + ":2,S"
        try FileManager.default.moveItem(atPath: written, toPath: read)
        let afterReading = try await fixture.courier.deliver(
            envelope, recipient: 1, to: bob, body: chunkedBody(["x\r\n"]),
            lookingForEarlierCopy: true)
        #expect(afterReading == .found(read))

        // Another recipient of the same message, or the same recipient of another message, is
        // a new copy.
        let otherRecipient = try await fixture.courier.deliver(
            envelope, recipient: 0, to: bob, body: chunkedBody(["x\r\n"]),
            lookingForEarlierCopy: true)
        var other = envelope
        other.id = QueueID()
        let otherMessage = try await fixture.courier.deliver(
            other, recipient: 1, to: bob, body: chunkedBody(["x\r\n"]),
            lookingForEarlierCopy: true)
        guard case .written = otherRecipient, case .written = otherMessage else {
            Issue.record("expected new copies, got \(otherRecipient) and \(otherMessage)")
            return
        }
        #expect(fixture.delivered("bob").count == 2)
        #expect(names(in: maildir + "/cur").count == 1)
    }
}

@Suite struct MaildirEarlierCopyFailureTests {
    @Test func anUnreadableFolderDefersInsteadOfWritingASecondCopy() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let maildir = fixture.mailRoot + "/example.com/bob"
        try FileManager.default.createDirectory(atPath: maildir + "/cur", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: maildir + "/new", contents: Data()), "new/ can't be listed")
        await #expect(throws: FileSystemError.self) {
            try await fixture.courier.deliver(
                SpoolFixtures.envelope(), recipient: 0, to: SpoolFixtures.mailbox("bob"), body: chunkedBody(["x\r\n"]), lookingForEarlierCopy: true)
        }
        #expect(names(in: maildir + "/cur").isEmpty)
    }
}

extension MaildirCourier {
    /// One copy for `mailbox`, made the only recipient of `envelope` with `original` as given
    /// at RCPT; the path of the new file.
    func deliver(_ envelope: Envelope, to mailbox: Mailbox, for original: ForwardPath, body: SpoolBody) async throws -> String {
        var envelope = envelope
        envelope.recipients = [EnvelopeRecipient(original: original, target: .local(mailbox))]
        return try await deliver(envelope, recipient: 0, to: mailbox, body: body).path
    }
}
