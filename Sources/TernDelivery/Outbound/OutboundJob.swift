import Foundation
import Logging
import TernMessage
import TernSMTPCore
import TernSpool

/// The recipients of one message for one destination, and the message's stored text.
struct OutboundJob: Sendable {
    /// The envelope for the peer; its id is unique among the jobs in flight.
    var message: OutboundMessage
    /// The stored text, streamed when the peer is ready for it.
    var body: SpoolBody
}

extension OutboundJob {
    /// The message for the peer: the recipients of `parcel` at `indices`, the DSN parameters
    /// passed on, and a `Received:` field by `hostname` before the stored text; `number` tells
    /// the jobs of one message apart.
    init(_ parcel: Parcel, recipients indices: [Int], number: Int, hostname: String) {
        let envelope = parcel.envelope
        let recipients = indices.map { envelope.recipients[$0] }
        let trace = TraceFields.received(
            envelope, for: recipients.count == 1 ? recipients[0].original : nil, hostname: hostname, lineEnding: "\r\n")
        var parameters = MailParameters()
        parameters.ret = envelope.parameters.ret
        parameters.envelopeID = envelope.parameters.envelopeID
        parameters.transactionID = TraceFields.transactionID(of: envelope, trace: trace, hostname: hostname)
        let message = OutboundMessage(
            id: "\(envelope.id).\(number)", sender: envelope.sender,
            recipients: recipients.map { OutboundRecipient(path: .mailbox($0.target.mailbox), parameters: $0.parameters) },
            parameters: parameters, size: trace.utf8.count + envelope.size,
            needs8bit: envelope.parameters.body == .eightBitMIME, needsSMTPUTF8: envelope.parameters.smtpUTF8)
        self.init(message: message, body: parcel.body.prefixed(with: Array(trace.utf8)))
    }
}

/// What became of a job.
struct OutboundOutcome: Sendable {
    /// An outcome for each of the job's recipients.
    var result: MessageResult
    /// The host whose replies decided, for `Remote-MTA:`; nil when no host was found.
    var remoteMTA: String?

    /// The receipts of the recipients at `indices` of `envelope`, the job's recipients in
    /// order, each logged. A delivered recipient that asked for a success report needs none
    /// from Tern when the peer took its `NOTIFY=` (it offers DSN).
    func receipts(for indices: [Int], of envelope: Envelope, logger: Logger) -> [Receipt] {
        zip(indices, result.recipients).map { index, recipient in
            let reply = recipient.outcome.reply
            let text = reply.description.replacingOccurrences(of: "\r\n", with: " ")
            let metadata: Logger.Metadata = [
                "queue_id": "\(envelope.id)", "to": "\(envelope.recipients[index].target.mailbox)",
                "relay": "\(remoteMTA ?? "none")", "reply": "\(text)",
            ]
            var receipt = Receipt(recipient: index, verdict: .delivered, remoteMTA: remoteMTA)
            switch recipient.outcome {
            case .delivered:
                receipt.peerReports = result.peerOffersDSN
                logger.info("relayed", metadata: metadata)
            case .deferred:
                receipt.verdict = .deferred(text)
                logger.warning("delivery deferred", metadata: metadata)
            case .failed:
                receipt.verdict = .failed(text)
                logger.error("delivery failed", metadata: metadata)
            }
            return receipt
        }
    }
}
