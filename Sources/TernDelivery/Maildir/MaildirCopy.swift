/// The copy of a message in a recipient's Maildir after `MaildirCourier.deliver`.
package enum MaildirCopy: Hashable, Sendable {
    /// Written by this call, at this path in `new/`.
    case written(String)
    /// Made by an attempt that was under way when the server stopped, before its outcome was
    /// recorded; found at this path in `new/` or `cur/`.
    case found(String)

    /// Where the copy is.
    package var path: String {
        switch self {
        case .written(let path), .found(let path): path
        }
    }
}
