/// Sends a batch of jobs for one destination over one connection at a time; the
/// dispatcher's view of `OutboundTransport`, so its limits can be tested without peers.
protocol OutboundSending: Sendable {
    /// An outcome for every job, by job id (`OutboundMessage.id`).
    func send(_ jobs: [OutboundJob], to destination: Destination) async -> [String: OutboundOutcome]
}
