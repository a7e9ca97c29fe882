import Testing
import TernMessage
import TernSMTPCore
import TernTestSupport
import TernSpool

@Suite struct SpoolCensusTests {
    @Test func commitsUpdatesAndRemovalsKeepTheCensusWithoutReadingTheDisk() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try await makeSpool(in: directory)
        let census = try #require(spool.census)
        let remote = SpoolFixtures.mailbox("dave", "Node.Example")
        var envelope = SpoolFixtures.envelope(recipients: [
            SpoolFixtures.localRecipient("bob"), EnvelopeRecipient(original: .mailbox(remote), target: .remote(remote)),
        ])
        envelope.id = try await store(Array("x\r\n".utf8), envelope, in: spool)
        #expect(census.all.map(\.waitingDomains) == [["node.example"]])

        envelope.held = true
        envelope.recipients[1].status = .delivered(SpoolFixtures.receivedAt)
        try await spool.update(envelope)
        #expect(census.all.map(\.held) == [true])
        #expect(census.all.map(\.waitingDomains) == [[]], "a delivered recipient waits for nothing")

        try await spool.remove(envelope.id)
        #expect(census.all.isEmpty)

        // A restarted spool learns the queue from its first reading.
        let other = try await store(Array("y\r\n".utf8), SpoolFixtures.envelope(), in: spool)
        let restarted = try await makeSpool(in: directory)
        #expect(restarted.census?.all.isEmpty == true)
        #expect(try await restarted.all().map(\.id) == [other])
        #expect(restarted.census?.all.count == 1)
    }
}
