@testable import TernDelivery
import TernSMTPCore
import TernSpool
import Testing

/// A sender that takes its time, and remembers how many connections were open at once and how
/// many messages each one carried.
private actor RecordingSender: OutboundSending {
    private var open: [Destination: Int] = [:]
    private var openTotal = 0
    private(set) var mostOpen: [Destination: Int] = [:]
    private(set) var mostOpenTotal = 0
    private(set) var batches: [Int] = []

    func send(_ jobs: [OutboundJob], to destination: Destination) async -> [String: OutboundOutcome] {
        open[destination, default: 0] += 1
        openTotal += 1
        mostOpen[destination] = max(mostOpen[destination, default: 0], open[destination]!)
        mostOpenTotal = max(mostOpenTotal, openTotal)
        batches.append(jobs.count)
        try? await Task.sleep(for: .milliseconds(30))
        open[destination]! -= 1
        openTotal -= 1
        let accepted = Reply(250, EnhancedStatusCode(2, 0, 0), "OK")
        return Dictionary(uniqueKeysWithValues: jobs.map { job in
            (job.message.id, OutboundOutcome(
                result: MessageResult(messageID: job.message.id, recipients: job.message.recipients.map {
                    RecipientResult(recipient: $0, outcome: .delivered(accepted))
                }),
                remoteMTA: "\(destination)"))
        })
    }
}

@Suite struct OutboundDispatcherTests {
    private func job(_ number: Int) -> OutboundJob {
        OutboundJob(
            message: OutboundMessage(
                id: "job\(number)", sender: .null,
                recipients: [OutboundRecipient(path: .mailbox(Mailbox(localPart: "r\(number)", domain: .name("example.net"))))],
                size: 10),
            body: SpoolBody { _ in nil })
    }

    /// Sends `count` jobs spread over `destinations` at once; returns the outcomes' job ids.
    private func sendAll(
        _ dispatcher: OutboundDispatcher, count: Int, destinations: [Destination]
    ) async -> [String] {
        await withTaskGroup(of: String.self) { group in
            for number in 0..<count {
                let destination = destinations[number % destinations.count]
                group.addTask { await dispatcher.deliver(job(number), to: destination).result.messageID }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test func oneDestinationKeepsItsLimitAndSharesConnections() async {
        let sender = RecordingSender()
        let dispatcher = OutboundDispatcher(transport: sender, concurrency: 10, perDestination: 2)
        let destination = Destination.mailExchangers(domain: "example.net")
        let ids = await sendAll(dispatcher, count: 30, destinations: [destination])
        #expect(Set(ids) == Set((0..<30).map { "job\($0)" }))
        #expect(await sender.mostOpen[destination] == 2)
        let batches = await sender.batches
        #expect(batches.reduce(0, +) == 30)
        #expect(batches.count < 30, "messages waiting for the destination go along on open connections")
        #expect(batches.allSatisfy { $0 <= OutboundDispatcher.messagesPerConnection })
    }

    @Test func theTotalLimitHoldsAcrossDestinations() async {
        let sender = RecordingSender()
        let dispatcher = OutboundDispatcher(transport: sender, concurrency: 2, perDestination: 5)
        let destinations = ["a.example", "b.example", "c.example"].map { Destination.mailExchangers(domain: $0) }
        let ids = await sendAll(dispatcher, count: 30, destinations: destinations)
        #expect(ids.count == 30)
        #expect(await sender.mostOpenTotal == 2)
        #expect(await sender.batches.reduce(0, +) == 30)
    }
}
