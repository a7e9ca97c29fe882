import TernSMTPCore
import TernSpool

/// The recipients of one message for one destination, and the message's stored text.
struct OutboundJob: Sendable {
    /// The envelope for the peer; its id is unique among the jobs in flight.
    var message: OutboundMessage
    /// The stored text, streamed when the peer is ready for it.
    var body: SpoolBody
}

/// What became of a job.
struct OutboundOutcome: Sendable {
    /// An outcome for each of the job's recipients.
    var result: MessageResult
    /// The host whose replies decided, for `Remote-MTA:`; nil when no host was found.
    var remoteMTA: String?
}
