package import Foundation
import Logging
import NIOCore
package import TernControl
import TernMessage
package import TernSMTPCore
import TernSpool
import TernPolicy

/// `tern queue ...`: the operator's view of the queue and commands on it, and the figures of
/// HELP STATUS (docs/configuration.md "Commands", docs/behaviour.md §3). Commands that change
/// a message take its lock, so they wait for an attempt in progress to end; then the scheduler
/// is told.
///
/// The answers come from the spool, not from the scheduler's view: `list` and `show` read the
/// envelopes, HELP STATUS the spool's census (`SpoolCensus`, in memory, changed in the same step
/// as each envelope on disk), so a message is counted from its commit on and an operator's
/// hold shows at once.
package struct QueueController: QueueControl {
    /// Headers shown by `show` are cut off after this many octets.
    static let shownHeaderLimit = 64 * 1024

    let spool: any SpoolStore
    let settings: DeliverySettings
    let scheduler: QueueScheduler
    /// For `flush` of a hold domain.
    let heldMail: HeldMailRelease
    let logger: Logger

    package func list() async throws -> [QueueEntry] {
        try await spool.all().map(entry)
    }

    package func show(_ id: QueueID) async throws -> QueueMessageDetail {
        let envelope = try await existing(id)
        var headers: [UInt8] = []
        for try await chunk in try await spool.openBody(id) {
            headers.append(contentsOf: chunk.readableBytesView)
            if let end = Self.headerEnd(headers) {
                headers.removeSubrange(end...)
                break
            }
            if headers.count >= Self.shownHeaderLimit { break }
        }
        return QueueMessageDetail(
            entry: entry(envelope), headers: String(decoding: headers.prefix(Self.shownHeaderLimit), as: UTF8.self))
    }

    package func flush(domain: String?) async throws -> Int {
        let wanted = domain.map { $0.lowercased() }
        if let wanted, settings.holdDomains.contains(wanted) {
            // The operator's ETRN: the mail held for the node goes to it now.
            return try await heldMail.releaseHeld([wanted])
        }
        var scheduled = 0
        for envelope in try await spool.all() where !envelope.held {
            let matches = envelope.recipients.contains { recipient in
                guard !recipient.status.isFinal, settings.heldDomain(of: recipient) == nil else { return false }
                guard let wanted else { return true }
                let name = recipient.target.mailbox.domain.normalized
                return name == wanted || name.hasSuffix("." + wanted)
            }
            guard matches else { continue }
            let changed = try await change(envelope.id) { $0.nextAttempt = nil }
            if changed { scheduled += 1 }
        }
        return scheduled
    }

    package func hold(_ id: QueueID) async throws {
        try await change(id, required: true) { $0.held = true }
    }

    package func release(_ id: QueueID) async throws {
        try await change(id, required: true) {
            $0.held = false
            $0.nextAttempt = nil
        }
    }

    package func delete(_ id: QueueID) async throws {
        let removed = await scheduler.locks.withLock(id) { [spool] in
            do {
                try await spool.remove(id)
                return true
            } catch {
                return false
            }
        }
        guard let removed else { throw QueueControlError.busy(id) }
        guard removed else { throw QueueControlError.unknownMessage(id) }
        logger.notice("deleted by the operator", metadata: ["queue_id": "\(id)"])
    }

    package func bounce(_ id: QueueID) async throws {
        try await change(id, required: true) { envelope in
            envelope.held = false
            for index in envelope.recipients.indices where !envelope.recipients[index].status.isFinal {
                envelope.recipients[index].status = .failed("550 5.0.0 Message returned by the mail system administrator")
            }
        }
        logger.notice("bounced by the operator", metadata: ["queue_id": "\(id)"])
    }

    /// The figures of HELP STATUS: every message, and those with a recipient waiting in a
    /// hold domain or held by the operator; from the spool's census in memory (a store without
    /// one has its envelopes read).
    package func statusCounts() async throws -> (queued: Int, held: Int) {
        let entries = try await censusEntries()
        return (entries.count, entries.filter(isHeld).count)
    }

    /// The messages by state, for the `tern_queue_messages` gauge (docs/operations.md "Metrics
    /// and health"): held as for HELP STATUS, deferred when their next attempt is later than
    /// `now`, active the others.
    package func stateCounts(at now: Date = Date()) async throws -> (active: Int, deferred: Int, held: Int) {
        var counts = (active: 0, deferred: 0, held: 0)
        for entry in try await censusEntries() {
            if isHeld(entry) {
                counts.held += 1
            } else if let next = entry.nextAttempt, next > now {
                counts.deferred += 1
            } else {
                counts.active += 1
            }
        }
        return counts
    }

    /// Every message as the census has it; a store without a census has its envelopes read.
    private func censusEntries() async throws -> [SpoolCensus.Entry] {
        guard let census = spool.census else { return try await spool.all().map(SpoolCensus.Entry.init) }
        return census.all
    }

    /// Held by the operator, or with a recipient waiting in a hold domain.
    private func isHeld(_ entry: SpoolCensus.Entry) -> Bool {
        entry.held || !entry.waitingDomains.isDisjoint(with: settings.holdDomains)
    }

    // MARK: Helpers

    /// Rewrites the envelope of `id` under its lock and schedules the message; false (or
    /// `unknownMessage` when `required`) when it is gone.
    @discardableResult
    private func change(_ id: QueueID, required: Bool = false, _ edit: @escaping @Sendable (inout Envelope) -> Void)
        async throws -> Bool
    {
        let outcome: Result<Bool, any Error>? = await scheduler.locks.withLock(id) { [spool] in
            do {
                var envelope = try await spool.envelope(id)
                edit(&envelope)
                try await spool.update(envelope)
                return .success(true)
            } catch SpoolError.unknownMessage {
                return .success(false)
            } catch {
                return .failure(error)
            }
        }
        guard let outcome else { throw QueueControlError.busy(id) }
        let changed = try outcome.get()
        if changed {
            scheduler.submitted(id)
        } else if required {
            throw QueueControlError.unknownMessage(id)
        }
        return changed
    }

    private func existing(_ id: QueueID) async throws -> Envelope {
        do {
            return try await spool.envelope(id)
        } catch SpoolError.unknownMessage {
            throw QueueControlError.unknownMessage(id)
        }
    }

    /// Where the empty line after the header section starts, if it is in `bytes`.
    private static func headerEnd(_ bytes: [UInt8]) -> Int? {
        let blank: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= blank.count else { return nil }
        for start in 0...(bytes.count - blank.count) where bytes[start..<(start + blank.count)].elementsEqual(blank) {
            return start + 2
        }
        return nil
    }

    private func entry(_ envelope: Envelope) -> QueueEntry {
        QueueEntry(
            id: envelope.id.description, sender: envelope.sender.description, size: envelope.size,
            arrival: envelope.receivedAt, held: envelope.held, attempts: envelope.attempts,
            nextAttempt: envelope.nextAttempt,
            recipients: envelope.recipients.map { recipient in
                let waiting = settings.heldDomain(of: recipient) != nil
                let (status, reason): (String, String?) =
                    switch recipient.status {
                    case .pending: (waiting ? "held" : "pending", nil)
                    case .deferred(let reason): (waiting ? "held" : "deferred", reason)
                    case .delivered: ("delivered", nil)
                    case .failed(let reason): ("failed", reason)
                    }
                return QueueEntryRecipient(address: recipient.target.mailbox.description, status: status, reason: reason)
            })
    }
}
