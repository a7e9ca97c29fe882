import NIOCore
import Testing
import TernSMTPCore
import TernTestSupport

/// TRANSID, 355 and resumed transfers in the protocol core (docs/behaviour.md §16, RFC 1845).
@Suite struct CheckpointSessionTests {
    static var configuration: ServerSessionConfiguration {
        var configuration = ServerSessionTests.configuration
        configuration.offersCheckpoint = true
        return configuration
    }

    static let key = CheckpointKey(clientName: "Client.Example.NET", transactionID: "<t1@client.example.net>", account: nil)

    static func driver() -> SessionDriver {
        var driver = SessionDriver(configuration)
        _ = driver.take()
        return driver
    }

    @Test func ehloAdvertisesCheckpoint() {
        var d = Self.driver()
        d.feed("EHLO c\r\n")
        #expect(d.take().contains("250-DSN\r\n250-CHECKPOINT\r\n250-ETRN\r\n"))
    }

    @Test func newTransactionReportsResumePointsAtLineEnds() {
        var d = Self.driver()
        d.feed("EHLO client.example.net\r\nMAIL FROM:<a@b.example> TRANSID=<t1@client.example.net>\r\nRCPT TO:<u@example.com>\r\nDATA\r\n")
        #expect(d.take().hasSuffix("250 2.1.0 Sender OK\r\n250 2.1.5 Recipient OK\r\n354 Start mail input; end with <CRLF>.<CRLF>\r\n"))
        #expect(d.checkpointedOpens.map(\.0) == [Self.key])
        d.feed("Subject: x\r\n\r\n..dot\r\npart")
        // "..dot" is stuffed: 5 octets on the wire, 4 stored.
        #expect(d.resumePoints.last == ResumePoint(streamOffset: 21, storedLength: 20))
        d.feed("ial\r\n.\r\n")
        #expect(d.resumePoints.last == ResumePoint(streamOffset: 30, storedLength: 29))
        #expect(d.take().hasPrefix("250 2.0.0"))
    }

    @Test func brokenTransferIsSuspended() {
        var d = Self.driver()
        d.feed("EHLO c\r\nMAIL FROM:<a@b.example> TRANSID=<t@c>\r\nRCPT TO:<u@example.com>\r\nDATA\r\nline one\r\nline t")
        _ = d.take()
        d.disconnect()
        #expect(d.suspended.map { String(decoding: $0, as: UTF8.self) } == ["line one\r\nline t"])
    }

    @Test func resumeGives355AndChecksTheWholeMessage() {
        var d = Self.driver()
        d.checkpoints[Self.key] = CheckpointResume(command: .data, point: ResumePoint(streamOffset: 12, storedLength: 11))
        d.storedPrefix = Array("Subject: x\r\n".utf8.dropLast(1)) + [10]
        d.feed("EHLO client.example.net\r\nMAIL FROM:<a@b.example> TRANSID=<t1@client.example.net>\r\n")
        #expect(d.take().hasSuffix("355 12 is the transaction offset\r\n"))
        d.feed("RCPT TO:<u@example.com>\r\nBDAT 3\r\nabcRSET\r\n")
        #expect(d.take() == "250 2.1.5 Recipient OK\r\n503 5.5.1 Bad sequence of commands: resume with the interrupted command\r\n250 2.0.0 Requested mail action okay, completed\r\n")
        d.feed("MAIL FROM:<a@b.example> TRANSID=<t1@client.example.net>\r\nRCPT TO:<u@example.com>\r\nDATA\r\n\r\nbody\r\n.\r\n")
        #expect(d.take().hasSuffix("354 Start mail input; end with <CRLF>.<CRLF>\r\n250 2.0.0 Requested mail action okay, completed: queued as Q1\r\n"))
        #expect(d.committed.map { String(decoding: $0.text, as: UTF8.self) } == ["Subject: x\r\n\r\nbody\r\n"])
        #expect(d.committed.first?.summary.size == 20)
    }

    @Test func completedTransactionIsNotAcceptedTwice() {
        var d = Self.driver()
        d.checkpoints[Self.key] = CheckpointResume(
            command: .bdat, point: ResumePoint(streamOffset: 40, storedLength: 40), acceptedAs: "Q7")
        d.feed("EHLO client.example.net\r\nMAIL FROM:<a@b.example> TRANSID=<t1@client.example.net>\r\nRCPT TO:<u@example.com>\r\nBDAT 0 LAST\r\n")
        #expect(d.take().hasSuffix("355 40 is the transaction offset\r\n250 2.1.5 Recipient OK\r\n250 2.0.0 Requested mail action okay, completed: already accepted as Q7\r\n"))
        #expect(d.committed.isEmpty)
        #expect(d.checkpointedOpens.isEmpty)
    }

    @Test func transactionIDNeedsCheckpointOffered() {
        var d = SessionDriver(ServerSessionTests.configuration)
        _ = d.take()
        d.feed("EHLO client.example.net\r\nMAIL FROM:<a@b.example> TRANSID=<t1@client.example.net>\r\n")
        #expect(d.take().hasSuffix("250 2.1.0 Sender OK\r\n"))
    }

    /// A fault in the text stops the storing but keeps the record: a broken connection still
    /// suspends it, and the end of data refuses the whole message and drops it.
    @Test func faultyTextKeepsTheRecordUntilTheVerdict() {
        var d = Self.driver()
        d.feed("EHLO c\r\nMAIL FROM:<a@b.example> TRANSID=<t@c>\r\nRCPT TO:<u@example.com>\r\nDATA\r\nok\r\n")
        d.feed("bare\nfeed\r\nmore\r\n")
        _ = d.take()
        #expect(d.resumePoints.last == ResumePoint(streamOffset: 4, storedLength: 4))
        d.disconnect()
        #expect(d.suspended.map { String(decoding: $0, as: UTF8.self) } == ["ok\r\n"])

        var finished = Self.driver()
        finished.feed("EHLO c\r\nMAIL FROM:<a@b.example> TRANSID=<t@c>\r\nRCPT TO:<u@example.com>\r\nDATA\r\nbare\nfeed\r\n.\r\n")
        #expect(finished.take().hasSuffix("554 5.6.0 Transaction failed: message contains bare CR or LF\r\n"))
        finished.disconnect()
        #expect(finished.suspended.isEmpty)
    }
}
