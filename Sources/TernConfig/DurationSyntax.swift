/// Durations in the config: a whole number and a unit, `"250ms"`, `"30s"`, `"5m"`, `"2h"`, `"5d"`.
enum DurationSyntax {
    private static let milliseconds: [String: Int64] = [
        "ms": 1, "s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000,
    ]

    /// The duration `text` stands for, nil when it is not a duration or is absurdly long.
    static func duration(_ text: String) -> Duration? {
        let digits = text.prefix { $0.isASCII && $0.isWholeNumber }
        let unit = String(text[digits.endIndex...])
        guard !digits.isEmpty, let number = Int64(digits), let multiplier = milliseconds[unit] else { return nil }
        let (total, overflow) = number.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : .milliseconds(total)
    }
}
