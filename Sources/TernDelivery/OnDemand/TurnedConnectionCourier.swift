import Logging
import NIOCore
import TernSMTPClient
import TernSMTPCore

/// Delivery over a connection ATRN turned around (RFC 2645 §4, docs/behaviour.md §15): the
/// customer's own connection, with Tern as the SMTP client. Waits for the customer's greeting,
/// sends EHLO (HELO), each parcel as one message, then QUIT; each parcel is decided as soon as
/// its replies are in, before the next message goes, so its outcome can be recorded first.
///
/// For one call of `deliver`, in the connection's own task (its input must not cross tasks).
final class TurnedConnectionCourier<Input: AsyncIteratorProtocol>: Courier where Input.Element == ByteBuffer {
    /// The customer's octets from now on; where the reading stopped once `deliver` returns.
    private(set) var input: Input
    /// The customer, for logs and `Remote-MTA:` (its address).
    private let peer: String
    /// What the customer sent before the turn: the start of its replies.
    private let early: ByteBuffer
    private let output: NIOAsyncChannelOutboundWriter<ByteBuffer>
    /// The connection, closed when a wait runs out.
    private let channel: any Channel
    /// The name in EHLO and `Received:`.
    private let hostname: String
    /// The longest wait for each reply (the idle timeout).
    private let timeout: Duration
    private let logger: Logger

    init(
        peer: String, early: ByteBuffer, input: Input, output: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        channel: any Channel, hostname: String, timeout: Duration, logger: Logger
    ) {
        self.input = input
        self.peer = peer
        self.early = early
        self.output = output
        self.channel = channel
        self.hostname = hostname
        self.timeout = timeout
        self.logger = logger
    }

    func deliver(_ parcels: [Parcel], decided: @escaping (Parcel, [Receipt]) async -> Void) async {
        let jobs = parcels.map { OutboundJob($0, recipients: $0.recipients, number: 0, hostname: hostname) }
        let byID = Dictionary(uniqueKeysWithValues: zip(jobs.map(\.message.id), zip(parcels, jobs)))
        let (peer, logger) = (peer, logger)
        _ = await SMTPClient.deliver(
            jobs.map(\.message), early: early, input: &input, output: output, channel: channel,
            configuration: ClientSessionConfiguration(hostname: hostname), timeout: timeout, logger: logger,
            body: { byID[$0]!.1.body },
            decided: { result in
                guard let (parcel, _) = byID[result.messageID] else { return }
                let receipts = OutboundOutcome(result: result, remoteMTA: peer)
                    .receipts(for: parcel.recipients, of: parcel.envelope, logger: logger)
                DeliveryMetrics.record(receipts, by: .odmr, of: parcel.envelope)
                await decided(parcel, receipts)
            })
    }
}
