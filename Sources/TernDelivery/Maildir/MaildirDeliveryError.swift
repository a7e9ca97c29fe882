/// A Maildir delivery that cannot succeed, however often it is tried. Failures of the file
/// system (`FileSystemError`) are temporary instead and are retried.
package enum MaildirDeliveryError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The mailbox's domain or local part cannot be made into a directory name (too long).
    case unusableMailboxName(String)

    /// A short explanation for logs and failure reports.
    package var description: String {
        switch self {
        case .unusableMailboxName(let mailbox): "mailbox name too long for a Maildir folder: \(mailbox)"
        }
    }
}
