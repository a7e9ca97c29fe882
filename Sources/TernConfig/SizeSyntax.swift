/// Sizes in the config: an integer number of octets, or a string with a unit (`"512KiB"`,
/// `"35MiB"`, `"1GiB"`, `"10MB"`, `"100KB"`, `"5B"`); SI units are powers of 1000, IEC units
/// powers of 1024. A blank between number and unit is allowed.
enum SizeSyntax {
    private static let units: [String: Int] = [
        "B": 1,
        "KB": 1_000, "MB": 1_000_000, "GB": 1_000_000_000, "TB": 1_000_000_000_000,
        "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
    ]

    /// The number of octets `text` stands for, nil when it is not a size or does not fit an `Int`.
    static func octets(_ text: String) -> Int? {
        let digits = text.prefix { $0.isASCII && $0.isWholeNumber }
        var unit = text[digits.endIndex...]
        if unit.first == " " { unit = unit.dropFirst() }
        guard !digits.isEmpty, let number = Int(digits), let multiplier = units[String(unit)] else { return nil }
        let (octets, overflow) = number.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : octets
    }
}
