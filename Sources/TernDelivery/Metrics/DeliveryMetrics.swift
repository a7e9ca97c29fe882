import Foundation
import Metrics
import TernMessage

/// What delivery counts, through swift-metrics (docs/operations.md "Metrics and health"): each
/// recipient's outcome per attempt and courier, the time from the 250 to delivery, DNS lookups
/// and on-demand runs. Without a metrics factory in the process the figures go nowhere.
package enum DeliveryMetrics {
    /// The courier that made an attempt, as the metrics name it.
    enum CourierName: String {
        case maildir
        case smtp
        case lmtp
        /// Over a connection turned around by ATRN (RFC 2645).
        case odmr
    }

    /// The command that started an on-demand run.
    package enum OnDemandCommand: String {
        case etrn
        case atrn
    }

    /// Counts `receipts` of one attempt on `envelope` by `courier`; a delivered recipient also
    /// records how long it took since the message was accepted.
    static func record(_ receipts: [Receipt], by courier: CourierName, of envelope: Envelope, at time: Date = Date()) {
        for receipt in receipts {
            let outcome = switch receipt.verdict {
            case .delivered: "delivered"
            case .deferred: "deferred"
            case .failed: "failed"
            }
            count(outcome, by: courier)
            if case .delivered = receipt.verdict { delay(since: envelope.receivedAt, by: courier, at: time) }
        }
    }

    /// Counts `copies` copies written into Maildirs before the 250 (local delivery at acceptance).
    static func deliveredAtAcceptance(_ copies: Int, of envelope: Envelope, at time: Date = Date()) {
        for _ in 0..<copies {
            count("delivered", by: .maildir)
            delay(since: envelope.receivedAt, by: .maildir, at: time)
        }
    }

    /// Counts a DNS query for `type` (`mx`, `a`, `aaaa`) that ended with `result`.
    static func lookedUp(_ type: String, result: String) {
        Counter(label: "tern_dns_lookups_total", dimensions: [("type", type), ("result", result)]).increment()
    }

    /// Counts an ETRN run that released held mail, or an ATRN session accepted.
    package static func onDemandRun(_ command: OnDemandCommand) {
        Counter(label: "tern_on_demand_runs_total", dimensions: [("command", command.rawValue)]).increment()
    }

    private static func count(_ outcome: String, by courier: CourierName) {
        Counter(label: "tern_delivery_attempts_total", dimensions: [("courier", courier.rawValue), ("outcome", outcome)])
            .increment()
    }

    private static func delay(since accepted: Date, by courier: CourierName, at time: Date) {
        let seconds = max(0, time.timeIntervalSince(accepted))
        Timer(label: "tern_delivery_delay_seconds", dimensions: [("courier", courier.rawValue)])
            .recordNanoseconds(Int64(seconds * 1e9))
    }
}
