/// The delivery status notifications already sent about one recipient, so none goes twice,
/// also across a restart.
package struct ReportsSent: OptionSet, Hashable, Sendable {
    package let rawValue: UInt8

    package init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// The delay warning (`Action: delayed`).
    package static let delay = ReportsSent(rawValue: 1 << 0)
    /// The report on the final outcome (`failed`, `delivered` or `relayed`), or the decision that
    /// none is due (the recipient did not ask, or the next hop reports itself).
    package static let final = ReportsSent(rawValue: 1 << 1)
}
