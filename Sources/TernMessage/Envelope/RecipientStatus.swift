package import Foundation

/// How far delivery to one recipient has come.
package enum RecipientStatus: Hashable, Sendable {
    /// Not tried yet.
    case pending
    /// Delivered at this time; final.
    case delivered(Date)
    /// Failed permanently, with the reason; final (a failure report is due).
    case failed(String)
    /// Failed temporarily, with the last error; tried again later.
    case deferred(String)

    /// Whether nothing more will be tried for this recipient.
    package var isFinal: Bool {
        switch self {
        case .delivered, .failed: true
        case .pending, .deferred: false
        }
    }
}
