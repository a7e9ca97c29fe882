import Logging
import TernMessage

/// Local delivery as a courier: each recipient's copy in turn, logged as it is made.
extension MaildirCourier: Courier {
    /// Writes a copy for each recipient of each parcel into the Maildir of its mailbox (a local
    /// recipient, or a remote one whose domain has a `maildir` route). A copy that can never
    /// be written fails the recipient (`MaildirDeliveryError`); a failing file system defers
    /// it. Stops between recipients when the task is cancelled.
    package func deliver(_ parcels: [Parcel], decided: @escaping (Parcel, [Receipt]) async -> Void) async {
        for parcel in parcels {
            var receipts: [Receipt] = []
            for index in parcel.recipients {
                if Task.isCancelled { break }
                guard let verdict = await deliver(parcel, recipient: index) else { break }
                receipts.append(Receipt(recipient: index, verdict: verdict))
            }
            DeliveryMetrics.record(receipts, by: .maildir, of: parcel.envelope)
            await decided(parcel, receipts)
        }
    }

    /// One recipient's copy; nil when the task was cancelled.
    private func deliver(_ parcel: Parcel, recipient index: Int) async -> Receipt.Verdict? {
        let mailbox = parcel.envelope.recipients[index].target.mailbox
        let metadata: Logger.Metadata = ["queue_id": "\(parcel.envelope.id)", "to": "\(mailbox)"]
        do {
            let copy = try await deliver(
                parcel.envelope, recipient: index, to: mailbox, body: parcel.body,
                lookingForEarlierCopy: parcel.mayHaveEarlierCopies)
            var details: Logger.Metadata = ["path": "\(copy.path)"]
            if case .found = copy { details["copy"] = "made before a restart" }
            logger.info("delivered", metadata: metadata.merging(details) { $1 })
            return .delivered
        } catch is CancellationError {
            return nil
        } catch let error as MaildirDeliveryError {
            logger.error("delivery failed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            return .failed("550 5.1.1 \(error)")
        } catch {
            logger.warning("delivery deferred", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            return .deferred("451 4.3.0 \(error)")
        }
    }
}
