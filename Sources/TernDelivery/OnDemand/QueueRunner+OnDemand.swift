import Logging
package import NIOCore
import TernMessage
import TernSMTPClient
import TernSMTPCore
import TernSpool
import TernPolicy

/// Releasing held mail: ETRN runs over a new connection to the node (RFC 1985, docs/behaviour.md §14),
/// and ATRN over the customer's own connection turned around (RFC 2645, docs/behaviour.md §15).
extension QueueRunner {
    /// Starts delivering the mail held for `domains` through the normal delivery path (the
    /// domain's route, else its MX): ETRN and `tern queue flush DOMAIN`. Returns how many
    /// messages the run covers (0: nothing held, no run). The domains stay locked until the
    /// run ends.
    package func releaseHeld(_ domains: Set<String>) async throws(HeldMailUnavailable) -> Int {
        guard holdLocks.lock(domains) else { throw .busy }
        let held: [QueueID]
        do {
            held = try await heldMessages(in: domains)
        } catch {
            holdLocks.unlock(domains)
            throw error
        }
        guard !held.isEmpty else {
            holdLocks.unlock(domains)
            return 0
        }
        logger.info("releasing held mail", metadata: ["domains": "\(domains.sorted())", "messages": "\(held.count)"])
        eventSink.yield(.release(domains, held))
        return held.count
    }

    /// One attempt for each message, its recipients in `domains` released; then the domains
    /// are unlocked and the messages go back to the scheduler for their other recipients.
    func runRelease(_ domains: Set<String>, _ ids: [QueueID]) async {
        await withDiscardingTaskGroup { group in
            for id in ids {
                group.addTask { [self] in
                    _ = await locks.withLock(id) { await self.attempt(id, in: .remote, releasing: domains) }
                    submitted(id)
                }
            }
        }
        holdLocks.unlock(domains)
        logger.info("release run ended", metadata: ["domains": "\(domains.sorted())"])
    }

    /// Locks `domains` for a turned ATRN connection and lists their held mail; nil when
    /// nothing is held (the domains are not kept locked then).
    package func reserveHeld(_ domains: Set<String>) async throws(HeldMailUnavailable) -> HeldMailReservation? {
        guard holdLocks.lock(domains) else { throw .busy }
        do {
            let held = try await heldMessages(in: domains)
            guard !held.isEmpty else {
                holdLocks.unlock(domains)
                return nil
            }
            return HeldMailReservation(domains: domains, messages: held)
        } catch {
            holdLocks.unlock(domains)
            throw error
        }
    }

    /// Unlocks the domains of a reservation that never got its turned connection.
    package func abandon(_ reservation: HeldMailReservation) {
        holdLocks.unlock(reservation.domains)
    }

    /// Delivers the reserved mail as the SMTP client on a connection ATRN turned around: waits
    /// for the customer's greeting, EHLO (HELO), each message with its held recipients in the
    /// reserved domains, QUIT (docs/behaviour.md §15). Each message's outcome is recorded durably as
    /// soon as it is known, before the next message goes; recipients not acknowledged stay
    /// held. Unlocks the domains when done.
    ///
    /// - Parameters:
    ///   - peer: the customer, for logs and `Remote-MTA:` (its address).
    ///   - timeout: the longest wait for each reply (the idle timeout).
    package func deliverHeld<Input: AsyncIteratorProtocol>(
        _ reservation: HeldMailReservation, peer: String, early: ByteBuffer, input: inout Input,
        output: NIOAsyncChannelOutboundWriter<ByteBuffer>, channel: any Channel, timeout: Duration
    ) async where Input.Element == ByteBuffer {
        defer { holdLocks.unlock(reservation.domains) }
        var jobs: [String: (id: QueueID, indices: [Int], job: OutboundJob)] = [:]
        var order: [String] = []
        for id in reservation.messages {
            guard let envelope = try? await spool.envelope(id), !envelope.held,
                  let body = try? await spool.openBody(id) else { continue }
            let indices = envelope.recipients.indices.filter {
                guard let domain = heldDomain(of: envelope.recipients[$0]) else { return false }
                return reservation.domains.contains(domain) && !envelope.recipients[$0].status.isFinal
            }
            guard !indices.isEmpty else { continue }
            let job = job(for: envelope, recipients: indices, number: 0, body: body)
            jobs[job.message.id] = (id, indices, job)
            order.append(job.message.id)
        }
        let metadata: Logger.Metadata = ["peer": "\(peer)", "domains": "\(reservation.domains.sorted())"]
        logger.info("delivering over the turned connection", metadata: metadata.merging(["messages": "\(order.count)"]) { $1 })
        let configuration = ClientSessionConfiguration(hostname: hostname)
        let results = await SMTPClient.deliver(
            order.compactMap { jobs[$0]?.job.message }, early: early, input: &input, output: output, channel: channel,
            configuration: configuration, timeout: timeout, logger: logger, body: { jobs[$0]!.job.body },
            decided: { [self] result in
                guard let entry = jobs[result.messageID] else { return }
                await recordTurned(OutboundOutcome(result: result, remoteMTA: peer), of: entry.id, recipients: entry.indices)
            })
        logger.info("turned connection done", metadata: metadata.merging(["decided": "\(results.count)"]) { $1 })
    }

    /// Records one message's outcomes from a turned connection under its lock, then lets the
    /// scheduler send what reports are due.
    private func recordTurned(_ outcome: OutboundOutcome, of id: QueueID, recipients indices: [Int]) async {
        await locks.withLock(id) { [self] in
            do {
                var envelope = try await spool.envelope(id)
                record(outcome, for: indices, in: &envelope)
                try await spool.update(envelope)
            } catch {
                logger.error("cannot record delivery status", metadata: ["queue_id": "\(id)", "error": "\(error)"])
            }
        }
        submitted(id)
    }

    /// Messages with a recipient held for one of `domains` and not yet final, oldest first.
    func heldMessages(in domains: Set<String>) async throws(HeldMailUnavailable) -> [QueueID] {
        let envelopes: [Envelope]
        do {
            envelopes = try await spool.all()
        } catch {
            logger.error("cannot read the queue", metadata: ["error": "\(error)"])
            throw .unreadable
        }
        return envelopes
            .filter { envelope in
                !envelope.held && envelope.recipients.contains { recipient in
                    guard let domain = heldDomain(of: recipient) else { return false }
                    return domains.contains(domain) && !recipient.status.isFinal
                }
            }
            .sorted { $0.receivedAt < $1.receivedAt }
            .map(\.id)
    }

    /// The figures of HELP STATUS: every message, and those with a recipient waiting in a
    /// hold domain or held by the operator; from the spool's census in memory (a store without
    /// one has its envelopes read).
    package func statusCounts() async throws -> (queued: Int, held: Int) {
        let entries: [SpoolCensus.Entry]
        if let census = spool.census {
            entries = census.all
        } else {
            entries = try await spool.all().map(SpoolCensus.Entry.init)
        }
        let held = entries.filter { $0.held || !$0.waitingDomains.isDisjoint(with: settings.holdDomains) }
        return (entries.count, held.count)
    }
}
