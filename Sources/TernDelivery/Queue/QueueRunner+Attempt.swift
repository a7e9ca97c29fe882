import Foundation
import Logging
import NIOConcurrencyHelpers
import TernMessage
import TernSMTPCore
import TernSpool
import TernPolicy

/// One delivery attempt of one message.
extension QueueRunner {
    /// Where one recipient's copy goes in this attempt.
    private enum Leg {
        case maildir(Mailbox)
        case outbound(Destination)
    }

    /// How an attempt in a lane ended.
    enum AttemptOutcome: Sendable {
        /// The local lane wrote the local copies (and recorded them); recipients for other
        /// hosts are due, for the remote lane.
        case remoteDue
        /// The attempt is over; the message wants another one at this time (nil: none).
        case done(next: Date?)
    }

    /// An attempt for the due recipients of `id` in `lane`, then its reports. The local lane
    /// delivers the local recipients and hands the message on when others are due; the
    /// remote lane sends those. Held recipients are due only when their domain is in
    /// `released` (an ETRN run); past `hold_lifetime` they fail. Called with the message's
    /// lock held.
    func attempt(_ id: QueueID, in lane: QueueLane, releasing released: Set<String> = []) async -> AttemptOutcome {
        var envelope: Envelope
        let body: SpoolBody
        do {
            envelope = try await spool.envelope(id)
            body = try await spool.openBody(id)
        } catch SpoolError.unknownMessage {
            return .done(next: nil)
        } catch {
            logger.error("cannot read spooled message", metadata: ["queue_id": "\(id)", "error": "\(error)"])
            return .done(next: now() + retryDelay(afterAttempt: 1).timeInterval)
        }
        if envelope.held { return .done(next: nil) }
        let started = now()
        expireHeld(&envelope, at: started)
        let deferredAreDue = (envelope.nextAttempt ?? .distantPast) <= started
        let due = envelope.recipients.indices.filter {
            let recipient = envelope.recipients[$0]
            if let domain = heldDomain(of: recipient) {
                return !recipient.status.isFinal && released.contains(domain)
            }
            switch recipient.status {
            case .pending: return true
            case .deferred: return deferredAreDue
            case .delivered, .failed: return false
            }
        }
        var local: [(Int, Mailbox)] = []
        var outbound: [Destination: [Int]] = [:]
        for index in due {
            switch leg(for: envelope.recipients[index].target) {
            case .maildir(let mailbox): local.append((index, mailbox))
            case .outbound(let destination): outbound[destination, default: []].append(index)
            }
        }
        switch lane {
        case .local:
            let unsure = unrecorded.withLockedValue { $0.contains(id) }
            for (index, mailbox) in local {
                if Task.isCancelled { break }
                await deliverLocally(&envelope, recipient: index, to: mailbox, body: body, lookingForEarlierCopy: unsure)
            }
            if !outbound.isEmpty {
                // The local copies are recorded before the remote lane, however long it takes.
                if !local.isEmpty, !(await persist(envelope)) { return .done(next: wakeAfterFailedRecord) }
                return .remoteDue
            }
        case .remote:
            await send(&envelope, outbound, body: body)
        }
        if !due.isEmpty {
            envelope.attempts += 1
            scheduleRetry(&envelope, startedAt: started)
        }
        await sendReports(&envelope, body: body)
        if envelope.recipients.allSatisfy({ $0.status.isFinal && $0.reportsSent.contains(.final) }) {
            do {
                try await spool.remove(id)
                unrecorded.withLockedValue { _ = $0.remove(id) }
                logger.debug("removed from spool", metadata: ["queue_id": "\(id)"])
                return .done(next: nil)
            } catch {
                unrecorded.withLockedValue { _ = $0.insert(id) }
                logger.error("cannot record delivery status", metadata: ["queue_id": "\(id)", "error": "\(error)"])
                return .done(next: wakeAfterFailedRecord)
            }
        }
        guard await persist(envelope) else { return .done(next: wakeAfterFailedRecord) }
        return .done(next: wakeTime(of: envelope))
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

    /// When to try a message again whose status could not be recorded.
    private var wakeAfterFailedRecord: Date {
        now() + retryDelay(afterAttempt: 1).timeInterval
    }

    /// Sends the recipients grouped by destination, the groups concurrently; records each
    /// outcome in `envelope`.
    private func send(_ envelope: inout Envelope, _ outbound: [Destination: [Int]], body: SpoolBody) async {
        let jobs = outbound.sorted { $0.key.description < $1.key.description }.enumerated().map { number, group in
            (group.key, group.value, job(for: envelope, recipients: group.value, number: number, body: body))
        }
        await withTaskGroup(of: ([Int], OutboundOutcome).self) { group in
            for (destination, recipientIndices, job) in jobs {
                group.addTask { [dispatcher] in (recipientIndices, await dispatcher.deliver(job, to: destination)) }
            }
            for await (recipientIndices, outcome) in group {
                record(outcome, for: recipientIndices, in: &envelope)
            }
        }
    }

    private func leg(for target: DeliveryTarget) -> Leg {
        switch target {
        case .local(let mailbox):
            return .maildir(mailbox)
        case .remote(let mailbox):
            switch settings.nextHop(for: mailbox.domain) {
            case .maildir: return .maildir(mailbox)
            case .some(let hop): return .outbound(.relay(hop))
            case .none:
                guard case .addressLiteral(let literal) = mailbox.domain else {
                    return .outbound(.mailExchangers(domain: mailbox.domain.normalized))
                }
                // `user@[192.0.2.1]`, `user@[IPv6:2001:db8::1]`: that host, no lookup (RFC 5321 §4.1.3).
                let address = literal.lowercased().hasPrefix("ipv6:") ? String(literal.dropFirst(5)) : literal
                return .outbound(.relay(.smtp(host: address, port: settings.smtpPort)))
            }
        }
    }

    /// The message for the peer: the recipients at `indices`, the DSN parameters passed on, and
    /// a `Received:` field before the stored text.
    func job(for envelope: Envelope, recipients indices: [Int], number: Int, body: SpoolBody) -> OutboundJob {
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
        return OutboundJob(message: message, body: body.prefixed(with: Array(trace.utf8)))
    }

    private func deliverLocally(
        _ envelope: inout Envelope, recipient index: Int, to mailbox: Mailbox, body: SpoolBody,
        lookingForEarlierCopy: Bool
    ) async {
        let metadata: Logger.Metadata = ["queue_id": "\(envelope.id)", "to": "\(mailbox)"]
        do {
            let copy = try await courier.deliver(
                envelope, recipient: index, to: mailbox, body: body, receivedBy: hostname,
                lookingForEarlierCopy: lookingForEarlierCopy)
            envelope.recipients[index].status = .delivered(now())
            var details: Logger.Metadata = ["path": "\(copy.path)"]
            if case .found = copy { details["copy"] = "made before a restart" }
            logger.info("delivered", metadata: metadata.merging(details) { $1 })
        } catch is CancellationError {
            return
        } catch let error as MaildirDeliveryError {
            envelope.recipients[index].status = .failed("550 5.1.1 \(error)")
            logger.error("delivery failed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        } catch {
            envelope.recipients[index].status = .deferred("451 4.3.0 \(error)")
            logger.warning("delivery deferred", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
    }

    /// Records a peer's outcomes. A delivered recipient that asked for a success report needs
    /// none from Tern when the peer took its `NOTIFY=` (it offers DSN).
    func record(_ outcome: OutboundOutcome, for indices: [Int], in envelope: inout Envelope) {
        for (index, result) in zip(indices, outcome.result.recipients) {
            let reply = result.outcome.reply
            let text = reply.description.replacingOccurrences(of: "\r\n", with: " ")
            let metadata: Logger.Metadata = [
                "queue_id": "\(envelope.id)", "to": "\(envelope.recipients[index].target.mailbox)",
                "relay": "\(outcome.remoteMTA ?? "none")", "reply": "\(text)",
            ]
            envelope.recipients[index].remoteMTA = outcome.remoteMTA
            switch result.outcome {
            case .delivered:
                envelope.recipients[index].status = .delivered(now())
                if outcome.result.peerOffersDSN { envelope.recipients[index].reportsSent.insert(.final) }
                logger.info("relayed", metadata: metadata)
            case .deferred:
                envelope.recipients[index].status = .deferred(text)
                logger.warning("delivery deferred", metadata: metadata)
            case .failed:
                envelope.recipients[index].status = .failed(text)
                logger.error("delivery failed", metadata: metadata)
            }
        }
    }

    /// Sets the next attempt for deferred recipients, or fails them once the message is older
    /// than `max_lifetime`.
    private func scheduleRetry(_ envelope: inout Envelope, startedAt started: Date) {
        let deferred = envelope.recipients.indices.filter {
            guard heldDomain(of: envelope.recipients[$0]) == nil else { return false }
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
        guard time >= holdExpiry(of: envelope) else { return }
        for index in envelope.recipients.indices {
            guard let domain = heldDomain(of: envelope.recipients[index]),
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
