import NIOConcurrencyHelpers
import Foundation
import TernSpool

/// File names for new Maildir messages: `<seconds>.M<microseconds>P<pid>Q<counter>.<host>`
/// (the Maildir convention), unique within the process by the counter and across processes
/// by the pid and the time.
enum MaildirUniqueName {
    private static let counter = NIOLockedValueBox(0)

    /// A new name for a message written now on `hostname`.
    static func make(hostname: String, now: Date = Date()) -> String {
        let microseconds = Int64((now.timeIntervalSince1970 * 1_000_000).rounded(.down))
        let sequence = counter.withLockedValue { value in
            value += 1
            return value
        }
        return "\(microseconds / 1_000_000).M\(microseconds % 1_000_000)P\(Posix.processID)Q\(sequence).\(safeHost(hostname))"
    }

    /// The host name with `/` and `:` written as `\057` and `\072`, as Maildir readers expect;
    /// other characters that have no place in a file name are dropped.
    static func safeHost(_ hostname: String) -> String {
        var safe = ""
        for scalar in hostname.unicodeScalars {
            switch scalar {
            case "/": safe += "\\057"
            case ":": safe += "\\072"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: continue
            default: safe.unicodeScalars.append(scalar)
            }
        }
        return safe.isEmpty ? "localhost" : safe
    }
}
