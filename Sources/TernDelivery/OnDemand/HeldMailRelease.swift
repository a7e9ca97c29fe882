import Foundation
import Logging
import NIOCore
import TernMessage
import TernPolicy
import TernSMTPCore
import TernSpool

/// Releasing held mail: ETRN runs over a new connection to the node (RFC 1985, docs/behaviour.md §14),
/// and ATRN over the customer's own connection turned around (RFC 2645, docs/behaviour.md §15).
/// One at a time per hold domain (`HoldLocks`, kept by the scheduler).
struct HeldMailRelease: Sendable {
    let spool: any SpoolStore
    let settings: DeliverySettings
    let scheduler: QueueScheduler
    /// This server's name, for EHLO on a turned connection.
    let hostname: String
    let now: @Sendable () -> Date
    let logger: Logger

    /// Starts delivering the mail held for `domains` through the normal delivery path (the
    /// domain's route, else its MX): ETRN and `tern queue flush DOMAIN`. Returns how many
    /// messages the run covers (0: nothing held, no run). The domains stay locked until the
    /// run ends.
    func releaseHeld(_ domains: Set<String>) async throws(HeldMailUnavailable) -> Int {
        guard let held = try await lockHeld(domains) else { return 0 }
        logger.info("releasing held mail", metadata: ["domains": "\(domains.sorted())", "messages": "\(held.count)"])
        scheduler.release(domains, held)
        return held.count
    }

    /// Locks `domains` for a turned ATRN connection and lists their held mail; nil when
    /// nothing is held (the domains are not kept locked then).
    func reserveHeld(_ domains: Set<String>) async throws(HeldMailUnavailable) -> HeldMailReservation? {
        guard let held = try await lockHeld(domains) else { return nil }
        return HeldMailReservation(domains: domains, messages: held)
    }

    /// Unlocks the domains of a reservation that never got its turned connection.
    func abandon(_ reservation: HeldMailReservation) {
        scheduler.holdLocks.unlock(reservation.domains)
    }

    /// Delivers the reserved mail as the SMTP client on a connection ATRN turned around
    /// (`TurnedConnectionCourier`): each message with its held recipients in the reserved
    /// domains (docs/behaviour.md §15). Each message's outcome is recorded durably as soon as it
    /// is known, before the next message goes; recipients not acknowledged stay held. Unlocks
    /// the domains when done.
    ///
    /// - Parameters:
    ///   - peer: the customer, for logs and `Remote-MTA:` (its address).
    ///   - timeout: the longest wait for each reply (the idle timeout).
    func deliverHeld<Input: AsyncIteratorProtocol>(
        _ reservation: HeldMailReservation, peer: String, early: ByteBuffer, input: inout Input,
        output: NIOAsyncChannelOutboundWriter<ByteBuffer>, channel: any Channel, timeout: Duration
    ) async where Input.Element == ByteBuffer {
        defer { scheduler.holdLocks.unlock(reservation.domains) }
        var parcels: [Parcel] = []
        for id in reservation.messages {
            guard let envelope = try? await spool.envelope(id), !envelope.held,
                  let body = try? await spool.openBody(id) else { continue }
            let indices = envelope.recipients.indices.filter {
                guard let domain = settings.heldDomain(of: envelope.recipients[$0]) else { return false }
                return reservation.domains.contains(domain) && !envelope.recipients[$0].status.isFinal
            }
            guard !indices.isEmpty else { continue }
            parcels.append(Parcel(envelope: envelope, recipients: indices, body: body))
        }
        let metadata: Logger.Metadata = ["peer": "\(peer)", "domains": "\(reservation.domains.sorted())"]
        logger.info("delivering over the turned connection", metadata: metadata.merging(["messages": "\(parcels.count)"]) { $1 })
        let courier = TurnedConnectionCourier(
            peer: peer, early: early, input: input, output: output, channel: channel, hostname: hostname,
            timeout: timeout, logger: logger)
        var decided = 0
        await courier.deliver(parcels) { [self] parcel, receipts in
            decided += 1
            await record(receipts, of: parcel.envelope.id)
        }
        input = courier.input
        logger.info("turned connection done", metadata: metadata.merging(["decided": "\(decided)"]) { $1 })
    }

    /// Records one message's receipts from a turned connection under its lock, then lets the
    /// scheduler send what reports are due.
    private func record(_ receipts: [Receipt], of id: QueueID) async {
        let recorded: Void? = await scheduler.locks.withLock(id) { [self] in
            do {
                var envelope = try await spool.envelope(id)
                envelope.record(receipts, at: now())
                try await spool.update(envelope)
            } catch {
                logger.error("cannot record delivery status", metadata: ["queue_id": "\(id)", "error": "\(error)"])
            }
        }
        if recorded == nil {
            logger.error("cannot record delivery status", metadata: ["queue_id": "\(id)", "error": "another node holds it"])
        }
        scheduler.submitted(id)
    }

    /// Locks `domains` and lists the messages with a recipient held for one of them and not
    /// yet final, oldest first; nil, and the domains not kept locked, when there are none.
    private func lockHeld(_ domains: Set<String>) async throws(HeldMailUnavailable) -> [QueueID]? {
        guard await scheduler.holdLocks.lock(domains) else { throw .busy }
        let envelopes: [Envelope]
        do {
            envelopes = try await spool.all()
        } catch {
            scheduler.holdLocks.unlock(domains)
            logger.error("cannot read the queue", metadata: ["error": "\(error)"])
            throw .unreadable
        }
        let held = envelopes
            .filter { envelope in
                !envelope.held && envelope.recipients.contains { recipient in
                    guard let domain = settings.heldDomain(of: recipient) else { return false }
                    return domains.contains(domain) && !recipient.status.isFinal
                }
            }
            .sorted { $0.receivedAt < $1.receivedAt }
            .map(\.id)
        guard !held.isEmpty else {
            scheduler.holdLocks.unlock(domains)
            return nil
        }
        return held
    }
}
