import NIOConcurrencyHelpers
import Testing
import TernDelivery
import TernMessage
import TernPolicy
import TernSMTPCore
import TernSpool
import TernTestSupport

/// The attempt hands each recipient to the courier it is given for it: local recipients and
/// `maildir` routes to the local one, the rest to the relay (docs/architecture.md §3).
@Suite struct CourierTests {
    @Test func recipientsAreSortedToTheInjectedCouriers() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.directory.remove() }
        let local = RecordingCourier()
        let relay = RecordingCourier()
        let runner = try makeRunner(
            fixture, courier: local, relay: relay, settings: DeliverySettings(routes: RouteTable(["box.example": .maildir])))
        let remote = [("dave", "example.net"), ("erin", "box.example")].map { localPart, domain in
            let mailbox = SpoolFixtures.mailbox(localPart, domain)
            return EnvelopeRecipient(original: .mailbox(mailbox), target: .remote(mailbox))
        }
        try await fixture.running(runner) {
            runner.submitted(try await fixture.store(SpoolFixtures.envelope(
                recipients: [SpoolFixtures.localRecipient("bob")] + remote)))
            #expect(try await eventually { try await fixture.spool.all().isEmpty })
        }
        #expect(local.delivered == ["bob@example.com", "erin@box.example"])
        #expect(relay.delivered == ["dave@example.net"])
        #expect(fixture.delivered("bob").isEmpty, "the fixture's Maildir courier is not used")
    }
}

/// A courier that delivers every recipient at once and remembers their mailboxes.
private final class RecordingCourier: Courier, Sendable {
    private let mailboxes = NIOLockedValueBox<[String]>([])

    var delivered: [String] { mailboxes.withLockedValue { $0 } }

    func deliver(_ parcels: [Parcel], decided: @escaping (Parcel, [Receipt]) async -> Void) async {
        for parcel in parcels {
            mailboxes.withLockedValue { $0 += parcel.recipients.map { parcel.envelope.recipients[$0].target.mailbox.description } }
            await decided(parcel, parcel.recipients.map { Receipt(recipient: $0, verdict: .delivered) })
        }
    }
}
