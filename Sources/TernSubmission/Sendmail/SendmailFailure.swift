/// Why `tern sendmail` did not queue a message, with the `sysexits.h` status it exits with,
/// which is what programs calling `/usr/sbin/sendmail` look at.
package struct SendmailFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// The exit statuses of `sysexits.h` that `sendmail` uses.
    package enum Status: Int32, Sendable, Hashable {
        /// `EX_USAGE`: a bad command line, or no recipients.
        case usage = 64
        /// `EX_DATAERR`: a malformed address, or a message that can't be stored.
        case dataError = 65
        /// `EX_CANTCREAT`: the maildrop folder can't be created or written.
        case cannotCreate = 73
        /// `EX_IOERR`: standard input could not be read.
        case ioError = 74
        /// `EX_TEMPFAIL`: try again later (low disk, a write that failed).
        case temporaryFailure = 75
        /// `EX_NOPERM`: the user may not do this (set another sender without being trusted).
        case noPermission = 77
        /// `EX_CONFIG`: the configuration file is wrong.
        case configuration = 78
    }

    /// The exit status.
    package var status: Status
    /// One line for standard error.
    package var message: String

    /// A failure exiting with `status`.
    package init(_ status: Status, _ message: String) {
        self.status = status
        self.message = message
    }

    /// The message.
    package var description: String { message }
}
