import Foundation
import Metrics
import TernMessage

/// What delivery counts, through swift-metrics (docs/operations.md "Metrics and health"): each
/// recipient's outcome per attempt and courier, the time from the 250 to delivery, DNS lookups
/// and on-demand runs. Without a metrics factory in the process the figures go nowhere. The
/// handles are made at their first use and kept, as in `ServerMetrics` (docs/architecture.md §4).
package enum DeliveryMetrics {
    /// The courier that made an attempt, as the metrics name it.
    enum CourierName: String, CaseIterable {
        case maildir
        case smtp
        case lmtp
        /// Over a connection turned around by ATRN (RFC 2645).
        case odmr
    }

    /// What became of a recipient in an attempt.
    private enum Outcome: String, CaseIterable {
        case delivered
        case deferred
        case failed
    }

    /// The command that started an on-demand run.
    package enum OnDemandCommand: String, CaseIterable {
        case etrn
        case atrn
    }

    /// The kinds of DNS records the relay asks for.
    enum RecordType: String, CaseIterable {
        case mx
        case a
        case aaaa
    }

    /// How a DNS query ended.
    enum LookupResult: String, CaseIterable {
        case ok
        case nxdomain
        case nodata
        case failed
    }

    /// The handles of one courier.
    private struct CourierHandles {
        let attempts: [Outcome: Counter]
        let delay: Timer

        init(_ courier: CourierName) {
            attempts = Dictionary(uniqueKeysWithValues: Outcome.allCases.map {
                ($0, Counter(label: "tern_delivery_attempts_total",
                             dimensions: [("courier", courier.rawValue), ("outcome", $0.rawValue)]))
            })
            delay = Timer(label: "tern_delivery_delay_seconds", dimensions: [("courier", courier.rawValue)])
        }
    }

    private static let couriers = Dictionary(uniqueKeysWithValues: CourierName.allCases.map { ($0, CourierHandles($0)) })
    private static let lookups = Dictionary(uniqueKeysWithValues: RecordType.allCases.map { type in
        (type, Dictionary(uniqueKeysWithValues: LookupResult.allCases.map { result in
            (result, Counter(label: "tern_dns_lookups_total", dimensions: [("type", type.rawValue), ("result", result.rawValue)]))
        }))
    })
    private static let runs = Dictionary(uniqueKeysWithValues: OnDemandCommand.allCases.map {
        ($0, Counter(label: "tern_on_demand_runs_total", dimensions: [("command", $0.rawValue)]))
    })

    /// Counts `receipts` of one attempt on `envelope` by `courier`; a delivered recipient also
    /// records how long it took since the message was accepted.
    static func record(_ receipts: [Receipt], by courier: CourierName, of envelope: Envelope, at time: Date = Date()) {
        let handles = couriers[courier]!
        for receipt in receipts {
            switch receipt.verdict {
            case .delivered:
                handles.attempts[.delivered]!.increment()
                handles.delay.record(since: envelope.receivedAt, at: time)
            case .deferred:
                handles.attempts[.deferred]!.increment()
            case .failed:
                handles.attempts[.failed]!.increment()
            }
        }
    }

    /// Counts `copies` copies written into Maildirs before the 250 (local delivery at acceptance).
    static func deliveredAtAcceptance(_ copies: Int, of envelope: Envelope, at time: Date = Date()) {
        let handles = couriers[.maildir]!
        handles.attempts[.delivered]!.increment(by: copies)
        for _ in 0..<copies { handles.delay.record(since: envelope.receivedAt, at: time) }
    }

    /// Counts a DNS query for `type` that ended with `result`.
    static func lookedUp(_ type: RecordType, result: LookupResult) {
        lookups[type]![result]!.increment()
    }

    /// Counts an ETRN run that released held mail, or an ATRN session accepted.
    package static func onDemandRun(_ command: OnDemandCommand) {
        runs[command]!.increment()
    }
}

extension Timer {
    /// Records the time from `start` to `end`, nothing for a clock gone backwards.
    fileprivate func record(since start: Date, at end: Date) {
        recordNanoseconds(Int64(max(0, end.timeIntervalSince(start)) * 1e9))
    }
}
