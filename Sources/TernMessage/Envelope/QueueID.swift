package import Foundation
package import TernSMTPCore

/// The spool's ids: 16 characters of `[0-9A-Z]`, the first ten the microseconds since 1970 in
/// base 36, the last six random.
///
/// Ids sort in the order messages were received (to the microsecond), and are safe as file
/// names and in log lines. The time part wraps in the year 2085.
package extension QueueID {
    private static let digits = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
    private static let timeLength = 10
    private static let randomLength = 6
    private static let length = timeLength + randomLength

    /// A new id for a message received at `date`.
    init(date: Date = Date()) {
        let microseconds = UInt64(max(0, (date.timeIntervalSince1970 * 1_000_000).rounded(.down)))
        let randomLimit = (0..<Self.randomLength).reduce(UInt64(1)) { value, _ in value * 36 }
        var text = Self.base36(microseconds, width: Self.timeLength)
        text.append(contentsOf: Self.base36(UInt64.random(in: 0..<randomLimit), width: Self.randomLength))
        self.init(String(decoding: text, as: UTF8.self))!
    }

    /// Validates a spool id read back from a file name or typed by an operator: nil for any
    /// other text, also one the protocol core would take from another store.
    init?(spoolFormat string: String) {
        guard string.utf8.count == Self.length,
            string.utf8.allSatisfy({ Self.digits.contains($0) })
        else { return nil }
        self.init(string)
    }

    private static func base36(_ value: UInt64, width: Int) -> [UInt8] {
        var remaining = value
        var text = [UInt8](repeating: digits[0], count: width)
        for index in stride(from: width - 1, through: 0, by: -1) {
            text[index] = digits[Int(remaining % 36)]
            remaining /= 36
        }
        return text
    }
}
