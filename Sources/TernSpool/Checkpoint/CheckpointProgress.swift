package import Foundation
package import TernSMTPCore

/// How far a checkpointed text has come: the record as last stored and the last resume point
/// reached (RFC 1845, docs/behaviour.md §16). Both checkpoint writers keep one; they differ only
/// in how they store the text and the record.
package struct CheckpointProgress: Sendable {
    /// The record as last made durable.
    package private(set) var record: CheckpointRecord
    /// The last point reached, durable or not.
    package private(set) var lastPoint: ResumePoint

    /// The progress of `record`, reached as far as it says.
    package init(_ record: CheckpointRecord) {
        self.record = record
        lastPoint = record.point
    }

    /// Notes `point`; true when `syncEvery` octets or more have been stored since the record
    /// was last made durable, so it is time for a sync.
    package mutating func reach(_ point: ResumePoint, syncEvery: Int) -> Bool {
        lastPoint = point
        return point.storedLength - record.point.storedLength >= syncEvery
    }

    /// The record to store at a sync: resumable from the last point reached.
    package func synced(at date: Date = Date()) -> CheckpointRecord {
        var updated = record
        updated.point = lastPoint
        updated.updated = date
        return updated
    }

    /// The record of the transaction completed as `id` with `size` octets of text: the point
    /// after the last octet.
    package func accepted(as id: QueueID, size: Int, at date: Date = Date()) -> CheckpointRecord {
        var accepted = record
        accepted.point = ResumePoint(
            streamOffset: lastPoint.streamOffset + (size - lastPoint.storedLength), storedLength: size)
        accepted.acceptedAs = id
        accepted.updated = date
        return accepted
    }

    /// `stored` is now what is durable.
    package mutating func stored(_ stored: CheckpointRecord) {
        record = stored
    }
}
