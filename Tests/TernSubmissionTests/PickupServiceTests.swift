import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
import TernMessage
import TernPolicy
import TernSMTPCore
import TernSpool
import TernSubmission
import TernTestSupport

/// Log lines kept for assertions.
private final class LogRecord: Sendable {
    let lines = NIOLockedValueBox<[(Logger.Level, String, Logger.Metadata)]>([])

    var logger: Logger {
        Logger(label: "tern.test") { _ in RecordingHandler(record: self) }
    }

    struct RecordingHandler: LogHandler {
        let record: LogRecord
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            record.lines.withLockedValue { $0.append((event.level, "\(event.message)", merged)) }
        }
    }
}

/// A temporary data directory with a recovered spool and a maildrop, and a pickup between them.
private struct PickupFixture {
    let directory: TemporaryDirectory
    let spool: FileSpool
    let maildrop: Maildrop
    let pickup: MaildropPickup
    let submitted = NIOLockedValueBox<[QueueID]>([])
    let log = LogRecord()

    static let recipients = LocalRecipients(
        domains: [.name("example.com"), .name("example.org")],
        mailboxes: [.mailbox(SpoolFixtures.mailbox("user")), .mailbox(SpoolFixtures.mailbox("user2")),
                    .mailbox(SpoolFixtures.mailbox("postmaster")), .anyLocalPart(.name("example.org"))],
        aliases: [SpoolFixtures.mailbox("staff"): [SpoolFixtures.mailbox("user"), SpoolFixtures.mailbox("user2")]],
        forwards: [SpoolFixtures.mailbox("fwd"): SpoolFixtures.mailbox("fwd", "other.example")],
        relocated: [SpoolFixtures.mailbox("old"): SpoolFixtures.mailbox("new", "other.example")],
        unavailable: [SpoolFixtures.mailbox("busy")],
        disabled: [SpoolFixtures.mailbox("gone")])

    static let messageSizeLimit = 64 * 1024

    init(pollInterval: Duration = .milliseconds(500)) async throws {
        directory = try TemporaryDirectory()
        spool = FileSpool(root: directory.path + "/spool", threadPool: .singleton, logger: log.logger)
        _ = try await spool.recover()
        maildrop = Maildrop(dataDirectory: directory.path)
        try maildrop.prepare()
        let submitted = submitted
        pickup = MaildropPickup(
            maildropDirectory: maildrop.directory, hostname: "mx.example.com", messageSizeLimit: Self.messageSizeLimit,
            spool: spool, recipients: Self.recipients, threadPool: .singleton,
            logger: log.logger, pollInterval: pollInterval, retryDelay: pollInterval) { id in
                submitted.withLockedValue { $0.append(id) }
            }
    }

    /// Commits a maildrop file with `header` and `text`; returns its name.
    @discardableResult
    func drop(_ header: MaildropHeader, _ text: [UInt8]) throws -> String {
        let writer = try maildrop.create(header)
        try writer.append(text)
        try writer.commit()
        return "\(writer.id).drop"
    }

    static func header(_ recipients: [ForwardPath], sender: ReversePath = .mailbox(SpoolFixtures.mailbox("alice", "mx.example.com")))
        -> MaildropHeader
    {
        MaildropHeader(sender: sender, recipients: recipients, user: "alice", uid: 1000, arrivedAt: SpoolFixtures.receivedAt)
    }
}

@Suite struct PickupServiceTests {
    private static func to(_ localPart: String, _ domain: String = "example.com") -> ForwardPath {
        .mailbox(SpoolFixtures.mailbox(localPart, domain))
    }

    @Test func droppedFileBecomesASpooledMessage() async throws {
        let fixture = try await PickupFixture()
        defer { fixture.directory.remove() }
        let text = Array("Subject: caf\u{E9}\r\n\r\nHello.\r\n".utf8)
        try fixture.drop(PickupFixture.header([Self.to("user"), Self.to("someone", "other.example")]), text)

        #expect(await fixture.pickup.sweep() == MaildropPickup.Sweep(pickedUp: 1))
        #expect(try fixture.maildrop.pending().isEmpty)
        #expect(fixture.directory.files().allSatisfy { !$0.hasPrefix("maildrop/") }, "the maildrop file is gone")
        let envelopes = try await fixture.spool.all()
        try #require(envelopes.count == 1)
        let envelope = envelopes[0]
        var parameters = MailParameters()
        parameters.body = .eightBitMIME
        #expect(envelope == Envelope(
            id: envelope.id, sender: .mailbox(SpoolFixtures.mailbox("alice", "mx.example.com")),
            recipients: [
                EnvelopeRecipient(original: Self.to("user"), target: .local(SpoolFixtures.mailbox("user"))),
                EnvelopeRecipient(original: Self.to("someone", "other.example"),
                                  target: .remote(SpoolFixtures.mailbox("someone", "other.example"))),
            ],
            parameters: parameters, clientName: "localhost (user alice uid 1000)", clientAddress: "127.0.0.1",
            protocolName: "local", receivedAt: SpoolFixtures.receivedAt, size: text.count))
        var body: [UInt8] = []
        for try await chunk in try await fixture.spool.openBody(envelope.id) {
            body.append(contentsOf: chunk.readableBytesView)
        }
        #expect(body == text)
        #expect(fixture.submitted.withLockedValue { $0 } == [envelope.id])
        #expect(fixture.log.lines.withLockedValue { $0 }.contains { $0.1 == "picked up" && $0.2["queue_id"] == "\(envelope.id)" })
    }

    @Test func recipientsResolveAsOnAnAuthenticatedSession() {
        let paths: [ForwardPath] = [
            Self.to("USER"), Self.to("staff"), Self.to("user"), Self.to("fwd"), Self.to("old"), Self.to("nobody"),
            Self.to("busy"), Self.to("gone"), Self.to("anyone", "EXAMPLE.ORG"), .postmaster, Self.to("x", "remote.example"),
        ]
        let failed = { (path: ForwardPath, mailbox: Mailbox, reply: Reply) in
            EnvelopeRecipient(original: path, target: .local(mailbox), status: .failed(reply.description))
        }
        #expect(MaildropPickup.envelopeRecipients(for: paths, in: PickupFixture.recipients) == [
            EnvelopeRecipient(original: Self.to("USER"), target: .local(SpoolFixtures.mailbox("user"))),
            EnvelopeRecipient(original: Self.to("staff"), target: .local(SpoolFixtures.mailbox("user2"))),
            EnvelopeRecipient(original: Self.to("fwd"), target: .remote(SpoolFixtures.mailbox("fwd", "other.example"))),
            failed(Self.to("old"), SpoolFixtures.mailbox("old"), .relocated(SpoolFixtures.mailbox("new", "other.example"))),
            failed(Self.to("nobody"), SpoolFixtures.mailbox("nobody"), .unknownUser("nobody@example.com")),
            failed(Self.to("busy"), SpoolFixtures.mailbox("busy"), .mailboxUnavailable("busy@example.com")),
            failed(Self.to("gone"), SpoolFixtures.mailbox("gone"), .mailboxDisabled("gone@example.com")),
            EnvelopeRecipient(original: Self.to("anyone", "EXAMPLE.ORG"), target: .local(SpoolFixtures.mailbox("anyone", "example.org"))),
            EnvelopeRecipient(original: .postmaster, target: .local(SpoolFixtures.mailbox("postmaster"))),
            EnvelopeRecipient(original: Self.to("x", "remote.example"), target: .remote(SpoolFixtures.mailbox("x", "remote.example"))),
        ])
        #expect(failed(Self.to("nobody"), SpoolFixtures.mailbox("nobody"), .unknownUser("nobody@example.com")).status
            == .failed("550 5.1.1 <nobody@example.com>: Requested action not taken: mailbox unavailable"))
    }

    @Test func internationalAddressesAskForSMTPUTF8() async throws {
        let fixture = try await PickupFixture()
        defer { fixture.directory.remove() }
        try fixture.drop(PickupFixture.header([Self.to("jörg", "example.org")], sender: .null), Array("x\r\n".utf8))
        #expect(await fixture.pickup.sweep().pickedUp == 1)
        let envelope = try #require(try await fixture.spool.all().first)
        #expect(envelope.parameters.smtpUTF8)
        #expect(envelope.parameters.body == nil, "seven-bit text")
        #expect(envelope.sender == .null)
    }

    @Test func aFileOfAnotherUserIsBelievedOnlyAsFarAsItsOwner() async throws {
        let fixture = try await PickupFixture()
        defer { fixture.directory.remove() }
        let nobody = UInt32(65534)
        // The folder is writable by every local user, who may write any header: the owner of
        // the file, which they can't forge, is who submitted it.
        let forged = try fixture.drop(
            MaildropHeader(sender: .mailbox(SpoolFixtures.mailbox("ceo", "example.com")), recipients: [Self.to("user")],
                           user: "root", uid: 0, arrivedAt: SpoolFixtures.receivedAt), Array("x\r\n".utf8))
        let own = try fixture.drop(
            MaildropHeader(sender: .mailbox(SpoolFixtures.mailbox(LocalUser(uid: nobody).name, "mx.example.com")),
                           recipients: [Self.to("user")], user: "someone", uid: 1, arrivedAt: SpoolFixtures.receivedAt),
            Array("y\r\n".utf8))
        for name in [forged, own] {
            #expect(chown("\(fixture.maildrop.directory)/\(name)", nobody, nobody) == 0)
        }
        #expect(await fixture.pickup.sweep().pickedUp == 2)
        let envelopes = try await fixture.spool.all()
        let name = LocalUser(uid: nobody).name
        #expect(envelopes.map(\.clientName) == Array(repeating: "localhost (user \(name) uid 65534)", count: 2))
        #expect(envelopes.map(\.sender) == Array(repeating: .mailbox(SpoolFixtures.mailbox(name, "mx.example.com")), count: 2))
        let warnings = fixture.log.lines.withLockedValue { $0 }.filter { $0.1.hasPrefix("sender replaced") }
        #expect(warnings.count == 1, "only the forged sender is replaced")
    }

    @Test func onlyPlainFilesWithinTheSizeLimitAreRead() async throws {
        let fixture = try await PickupFixture()
        defer { fixture.directory.remove() }
        // A hard link to a file elsewhere, a FIFO that would block a reader, a text too large.
        let elsewhere = try fixture.drop(PickupFixture.header([Self.to("user")]), Array("secret\r\n".utf8))
        let outside = fixture.directory.path + "/outside"
        try FileManager.default.moveItem(atPath: "\(fixture.maildrop.directory)/\(elsewhere)", toPath: outside)
        let linked = "\(QueueID()).drop"
        #expect(link(outside, "\(fixture.maildrop.directory)/\(linked)") == 0)
        let fifo = "\(QueueID()).drop"
        #expect(mkfifo("\(fixture.maildrop.directory)/\(fifo)", 0o600) == 0)
        let large = try fixture.drop(
            PickupFixture.header([Self.to("user")]), Array(repeating: UInt8(ascii: "x"), count: PickupFixture.messageSizeLimit + 1))

        #expect(await fixture.pickup.sweep() == MaildropPickup.Sweep(quarantined: 3))
        #expect(try await fixture.spool.all().isEmpty)
        let reasons = Set(fixture.log.lines.withLockedValue { $0 }.filter { $0.1 == "maildrop file quarantined" }
            .compactMap { $0.2["reason"].map { "\($0)" } })
        #expect(reasons == ["not a regular file with a single link", "message larger than 65536 octets"])
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: fixture.maildrop.corruptDirectory)) == [linked, fifo, large])
    }

    @Test func unparsableFileIsQuarantinedAndLogged() async throws {
        let fixture = try await PickupFixture()
        defer { fixture.directory.remove() }
        let bad = "\(QueueID()).drop"
        try Data("TERN-MAILDROP 9\n\nx\r\n".utf8).write(to: URL(fileURLWithPath: "\(fixture.maildrop.directory)/\(bad)"))
        let good = try fixture.drop(PickupFixture.header([Self.to("user")]), Array("x\r\n".utf8))

        #expect(await fixture.pickup.sweep() == MaildropPickup.Sweep(pickedUp: 1, quarantined: 1))
        #expect(FileManager.default.fileExists(atPath: "\(fixture.maildrop.corruptDirectory)/\(bad)"))
        #expect(!FileManager.default.fileExists(atPath: "\(fixture.maildrop.directory)/\(good)"))
        #expect(try await fixture.spool.all().count == 1)
        let logged = fixture.log.lines.withLockedValue { $0 }.filter { $0.1 == "maildrop file quarantined" }
        #expect(logged.count == 1)
        #expect(logged.first?.0 == .error)
        #expect(logged.first?.2["maildrop_file"] == "\(bad)")
        #expect(await fixture.pickup.sweep() == MaildropPickup.Sweep(), "nothing left to do")
    }

    @Test func spoolFailureLeavesTheFileForLater() async throws {
        let fixture = try await PickupFixture()
        defer { fixture.directory.remove() }
        let name = try fixture.drop(PickupFixture.header([Self.to("user")]), Array("x\r\n".utf8))
        try FileManager.default.removeItem(atPath: fixture.directory.path + "/spool/tmp")

        #expect(await fixture.pickup.sweep() == MaildropPickup.Sweep(failed: true))
        #expect(try fixture.maildrop.pending() == [name])
        #expect(fixture.submitted.withLockedValue { $0 }.isEmpty)

        _ = try await fixture.spool.recover()
        #expect(await fixture.pickup.sweep() == MaildropPickup.Sweep(pickedUp: 1))
        #expect(try fixture.maildrop.pending().isEmpty)
    }

    @Test func runPicksUpFilesPresentAtStartAndDroppedLater() async throws {
        let fixture = try await PickupFixture(pollInterval: .milliseconds(20))
        defer { fixture.directory.remove() }
        try fixture.drop(PickupFixture.header([Self.to("user")]), Array("first\r\n".utf8))
        let pickup = fixture.pickup
        let running = Task { try await pickup.run() }
        defer { running.cancel() }
        #expect(try await waitForSpool(fixture, count: 1))
        try fixture.drop(PickupFixture.header([Self.to("user2")]), Array("second\r\n".utf8))
        #expect(try await waitForSpool(fixture, count: 2))
        running.cancel()
        try await running.value
        #expect(try fixture.maildrop.pending().isEmpty)
        #expect(fixture.submitted.withLockedValue { $0.count } == 2)
    }

    private func waitForSpool(_ fixture: PickupFixture, count: Int) async throws -> Bool {
        for _ in 0..<250 {
            if try await fixture.spool.all().count == count { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }
}
