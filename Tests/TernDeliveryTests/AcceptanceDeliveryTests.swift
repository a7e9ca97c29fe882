import Foundation
import NIOCore
import NIOPosix
import Testing
import TernDelivery
import TernIO
import TernMessage
import TernSMTPCore
import TernTestSupport

/// Local delivery at acceptance: every copy durable before the 250, or the message left whole
/// for the queue, which finds what was already written.
@Suite struct AcceptanceDeliveryTests {
    private let text = ByteBuffer(string: "Subject: hi\r\n\r\nline one\r\n.. two\r\n")
    private let envelope = SpoolFixtures.envelope(
        recipients: [SpoolFixtures.localRecipient("bob"), SpoolFixtures.localRecipient("carol")])

    private func courier(
        in directory: TemporaryDirectory, failing: @escaping @Sendable (TestFileOperations.Call, String) -> Bool
    ) -> MaildirCourier {
        MaildirCourier(
            mailRoot: directory.path + "/mail", hostname: testHost, threadPool: .singleton, logger: quietLogger,
            operations: TestFileOperations(failing: failing))
    }

    @Test func everyCopyIsWrittenAsTheQueueWritesIt() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        #expect(await fixture.courier.deliverAtAcceptance(envelope, text: text) == .delivered)
        let queued = try await fixture.courier.deliver(
            envelope, recipient: 0, to: SpoolFixtures.mailbox("bob"), body: chunkedBody([String(buffer: text)]))
        let copies = fixture.delivered("bob").map { "\(fixture.mailRoot)/example.com/bob/new/\($0)" }
        #expect(copies.count == 2)
        let contents = try copies.map { try String(contentsOfFile: $0, encoding: .utf8) }
        #expect(contents[0] == contents[1], "the same file as the queue's courier writes")
        #expect(contents[0].hasSuffix("Subject: hi\n\nline one\n.. two\n"))
        #expect(copies.contains(queued.path))
        #expect(fixture.delivered("carol").count == 1)
        #expect(names(in: fixture.mailRoot + "/example.com/bob/tmp").isEmpty)
        #expect(names(in: fixture.mailRoot + "/example.com/carol/tmp").isEmpty)
    }

    @Test func aFailedWriteLeavesNoCopyAtAll() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let courier = courier(in: directory) { call, path in call == .write && path.contains("/carol/") }
        #expect(await courier.deliverAtAcceptance(envelope, text: text) == .notDelivered)
        for user in ["bob", "carol"] {
            #expect(names(in: "\(directory.path)/mail/example.com/\(user)/new").isEmpty)
            #expect(names(in: "\(directory.path)/mail/example.com/\(user)/tmp").isEmpty)
        }
    }

    @Test func copiesRenamedBeforeAFailureAreFoundByTheQueueNotWrittenTwice() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let courier = courier(in: directory) { call, path in call == .rename && path.contains("/carol/") }
        #expect(await courier.deliverAtAcceptance(envelope, text: text) == .unsure)
        #expect(names(in: "\(directory.path)/mail/example.com/carol/tmp").isEmpty)

        let queue = MaildirCourier(
            mailRoot: directory.path + "/mail", hostname: testHost, threadPool: .singleton, logger: quietLogger)
        let body = chunkedBody([String(buffer: text)])
        let bob = try await queue.deliver(
            envelope, recipient: 0, to: SpoolFixtures.mailbox("bob"), body: body, lookingForEarlierCopy: true)
        let carol = try await queue.deliver(
            envelope, recipient: 1, to: SpoolFixtures.mailbox("carol"), body: body, lookingForEarlierCopy: true)
        guard case .found = bob, case .written = carol else {
            Issue.record("bob's copy should be found and carol's written: \(bob), \(carol)")
            return
        }
        #expect(names(in: "\(directory.path)/mail/example.com/bob/new").count == 1)
        #expect(names(in: "\(directory.path)/mail/example.com/carol/new").count == 1)
    }

    @Test func aFolderThatCannotBeSyncedLeavesTheMessageUnsure() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let courier = courier(in: directory) { call, path in call == .fsync && path.hasSuffix("/carol/new") }
        #expect(await courier.deliverAtAcceptance(envelope, text: text) == .unsure)
    }
}
