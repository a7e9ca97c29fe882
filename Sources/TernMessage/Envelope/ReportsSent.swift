/// The delivery status notifications already sent about one recipient, so none goes twice,
/// also across a restart.
public struct ReportsSent: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// The delay warning (`Action: delayed`).
    public static let delay = ReportsSent(rawValue: 1 << 0)
    /// The report on the final outcome (`failed`, `delivered` or `relayed`), or the decision that
    /// none is due (the recipient did not ask, or the next hop reports itself).
    public static let final = ReportsSent(rawValue: 1 << 1)
}
