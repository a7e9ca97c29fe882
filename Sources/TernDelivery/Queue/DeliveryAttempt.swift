import Foundation
import Logging
import NIOConcurrencyHelpers
import TernMessage
import TernPolicy
import TernSMTPCore
import TernSpool

/// How an attempt in a lane ended.
enum AttemptOutcome: Sendable {
    /// The local lane wrote the local copies (and recorded them); recipients for other hosts
    /// are due, for the remote lane.
    case remoteDue
    /// The attempt is over: the envelope as the spool now holds it, nil when the message is
    /// gone. The scheduler plans the next attempt from it (`QueueScheduler.wakeTime(of:)`).
    case over(Envelope?)
    /// The envelope could not be read or the outcome not recorded: another attempt at this time.
    case retry(at: Date)
}

/// One delivery attempt of one message: reads its envelope and body, sorts the due recipients
/// to the couriers (local recipients and `maildir` routes to the local courier, the rest to the
/// relay courier), records their receipts durably, schedules the retry of deferred recipients
/// (or fails them past `max_lifetime`), lets the `ReportWriter` send what reports are due, and
/// removes the message once every recipient is final and reported (docs/behaviour.md §9, §11).
/// Runs under the message's lock (`MessageLocks`), in one of the scheduler's lanes.
struct DeliveryAttempt: Sendable {
    let spool: any SpoolStore
    /// Writes the copies of local recipients and of domains routed to `maildir`.
    let local: any Courier & Sendable
    /// Sends the other recipients to their hosts.
    let relay: any Courier & Sendable
    let settings: DeliverySettings
    let reports: ReportWriter
    let now: @Sendable () -> Date
    /// Stretches or shortens each retry wait, so retries spread out.
    let jitter: @Sendable (Duration) -> Duration
    let logger: Logger
    /// Messages whose local copies may have been written without their status being recorded:
    /// those found at start (an attempt may have been under way when the server stopped) and
    /// those whose record failed to be written. Their next local delivery looks for the copy
    /// first (`Parcel.mayHaveEarlierCopies`).
    let unrecorded = NIOLockedValueBox<Set<QueueID>>([])

    /// Marks messages found in the spool at start: an attempt may have been under way.
    func markUnrecorded(_ ids: [QueueID]) {
        unrecorded.withLockedValue { $0.formUnion(ids) }
    }

    /// An attempt for the due recipients of `id` in `lane`, then its reports. The local lane
    /// delivers the local recipients and hands the message on when others are due; the
    /// remote lane sends those. Held recipients are due only when their domain is in
    /// `released` (an ETRN run); past `hold_lifetime` they fail. Called with the message's
    /// lock held.
    func perform(_ id: QueueID, in lane: QueueLane, releasing released: Set<String> = []) async -> AttemptOutcome {
        var envelope: Envelope
        let body: SpoolBody
        do {
            envelope = try await spool.envelope(id)
            body = try await spool.openBody(id)
        } catch SpoolError.unknownMessage {
            return .over(nil)
        } catch {
            logger.error("cannot read spooled message", metadata: ["queue_id": "\(id)", "error": "\(error)"])
            return retryLater
        }
        if envelope.held { return .over(envelope) }
        let started = now()
        expireHeld(&envelope, at: started)
        let deferredAreDue = (envelope.nextAttempt ?? .distantPast) <= started
        let due = envelope.recipients.indices.filter {
            let recipient = envelope.recipients[$0]
            if let domain = settings.heldDomain(of: recipient) {
                return !recipient.status.isFinal && released.contains(domain)
            }
            switch recipient.status {
            case .pending: return true
            case .deferred: return deferredAreDue
            case .delivered, .failed: return false
            }
        }
        let local = due.filter { isLocal(envelope.recipients[$0].target) }
        let remote = due.filter { !isLocal(envelope.recipients[$0].target) }
        switch lane {
        case .local:
            if !local.isEmpty {
                let unsure = unrecorded.withLockedValue { $0.contains(id) }
                let parcel = Parcel(envelope: envelope, recipients: local, body: body, mayHaveEarlierCopies: unsure)
                envelope.record(await self.local.deliver(parcel), at: now())
            }
            if !remote.isEmpty {
                // The local copies are recorded before the remote lane, however long it takes.
                if !local.isEmpty, !(await persist(envelope)) { return retryLater }
                return .remoteDue
            }
        case .remote:
            if !remote.isEmpty {
                envelope.record(await relay.deliver(Parcel(envelope: envelope, recipients: remote, body: body)), at: now())
            }
        }
        if !due.isEmpty && Task.isCancelled {
            // Stopping cut the attempt short (`Reply.stopping`): it does not count, and its
            // deferred recipients are due again as soon as the server starts.
            envelope.nextAttempt = nil
        } else if !due.isEmpty {
            envelope.attempts += 1
            scheduleRetry(&envelope, startedAt: started)
        }
        await reports.sendReports(&envelope, body: body)
        if envelope.recipients.allSatisfy({ $0.status.isFinal && $0.reportsSent.contains(.final) }) {
            do {
                try await spool.remove(id)
                unrecorded.withLockedValue { _ = $0.remove(id) }
                logger.debug("removed from spool", metadata: ["queue_id": "\(id)"])
                return .over(nil)
            } catch {
                unrecorded.withLockedValue { _ = $0.insert(id) }
                logger.error("cannot record delivery status", metadata: ["queue_id": "\(id)", "error": "\(error)"])
                return retryLater
            }
        }
        guard await persist(envelope) else { return retryLater }
        return .over(envelope)
    }

    /// Whether the copy for `target` is written here: a local recipient, or a domain routed to
    /// `maildir`.
    private func isLocal(_ target: DeliveryTarget) -> Bool {
        guard case .remote(let mailbox) = target else { return true }
        return settings.nextHop(for: mailbox.domain) == .maildir
    }

    /// Writes `envelope` back; false (and the message marked as possibly holding unrecorded
    /// copies) when that fails.
    private func persist(_ envelope: Envelope) async -> Bool {
        do {
            try await spool.update(envelope)
            unrecorded.withLockedValue { _ = $0.remove(envelope.id) }
            return true
        } catch {
            unrecorded.withLockedValue { _ = $0.insert(envelope.id) }
            logger.error("cannot record delivery status", metadata: ["queue_id": "\(envelope.id)", "error": "\(error)"])
            return false
        }
    }

    /// Another attempt after the first retry wait, for a message whose envelope could not be
    /// read or whose status could not be recorded.
    private var retryLater: AttemptOutcome {
        .retry(at: now() + retryDelay(afterAttempt: 1).timeInterval)
    }

    /// The wait before the next attempt after `attempts` attempts (`[delivery] retry`), with jitter.
    private func retryDelay(afterAttempt attempts: Int) -> Duration {
        jitter(settings.retry.delay(afterAttempt: attempts))
    }

    /// Sets the next attempt for deferred recipients, or fails them once the message is older
    /// than `max_lifetime`.
    private func scheduleRetry(_ envelope: inout Envelope, startedAt started: Date) {
        let deferred = envelope.recipients.indices.filter {
            guard settings.heldDomain(of: envelope.recipients[$0]) == nil else { return false }
            if case .deferred = envelope.recipients[$0].status { return true }
            return false
        }
        guard !deferred.isEmpty else { return }
        if started.timeIntervalSince(envelope.receivedAt) < settings.retry.maximumAge.timeInterval {
            envelope.nextAttempt = started + retryDelay(afterAttempt: envelope.attempts).timeInterval
            return
        }
        for index in deferred {
            guard case .deferred(let reason) = envelope.recipients[index].status else { continue }
            envelope.recipients[index].status = .failed(
                "554 5.4.7 Delivery time expired after \(envelope.attempts) attempts; last error: \(reason)")
            logger.error("delivery failed", metadata: [
                "queue_id": "\(envelope.id)", "to": "\(envelope.recipients[index].target.mailbox)",
                "error": "expired: \(reason)",
            ])
        }
    }

    /// Fails the held recipients of `envelope` whose node did not ask for them within
    /// `hold_lifetime` (docs/configuration.md `[delivery]`).
    private func expireHeld(_ envelope: inout Envelope, at time: Date) {
        guard time >= settings.holdExpiry(of: envelope) else { return }
        for index in envelope.recipients.indices {
            guard let domain = settings.heldDomain(of: envelope.recipients[index]),
                  !envelope.recipients[index].status.isFinal else { continue }
            envelope.recipients[index].status = .failed(
                "554 5.4.7 Delivery time expired: held for node \(domain), which did not ask for it within the hold lifetime")
            logger.error("delivery failed", metadata: [
                "queue_id": "\(envelope.id)", "to": "\(envelope.recipients[index].target.mailbox)",
                "error": "hold lifetime expired",
            ])
        }
    }
}
