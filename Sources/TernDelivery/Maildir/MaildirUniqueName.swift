import NIOConcurrencyHelpers
import Foundation
import TernIO
import TernMessage
import TernSMTPCore

/// File names for new Maildir messages, `<seconds>.M<microseconds>P<pid>Q<counter>_<queue id>R<recipient>.<host>`:
/// the Maildir convention's time, process and counter, unique within the process by the
/// counter and across processes by the pid and the time, followed by which delivery the
/// copy is, so a retried delivery can find it.
enum MaildirUniqueName {
    private static let counter = NIOLockedValueBox(0)
    /// This process's id, asked once: a server does not fork.
    private static let processID = Posix.processID

    /// A new name for the copy of message `id` for its recipient at `recipient`, written now
    /// on `hostname`.
    static func make(for id: QueueID, recipient: Int, hostname: String, now: Date = Date()) -> String {
        let microseconds = Int64((now.timeIntervalSince1970 * 1_000_000).rounded(.down))
        let sequence = counter.withLockedValue { value in
            value += 1
            return value
        }
        return "\(microseconds / 1_000_000).M\(microseconds % 1_000_000)P\(processID)Q\(sequence)"
            + "\(deliveryMark(id, recipient)).\(safeHost(hostname))"
    }

    /// The path of a copy of message `id` for its recipient at `recipient` in `new/` or `cur/`
    /// of `maildir` (a mail client may have moved it and added flags, `:2,S`), or nil. A folder
    /// that does not exist holds none; one that can't be read throws, so that the delivery is
    /// retried rather than a second copy written.
    static func findCopy(of id: QueueID, recipient: Int, in maildir: String) throws -> String? {
        let mark = deliveryMark(id, recipient)
        for folder in ["new", "cur"] {
            let directory = "\(maildir)/\(folder)"
            let names: [String]
            do {
                names = try Posix.listDirectory(directory)
            } catch let error as FileSystemError where error.code == ENOENT {
                continue
            }
            for name in names {
                // The mark ends the second dot-separated field; the host after it may hold dots.
                let fields = name.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
                if fields.count == 3, fields[1].hasSuffix(mark) { return "\(directory)/\(name)" }
            }
        }
        return nil
    }

    private static func deliveryMark(_ id: QueueID, _ recipient: Int) -> String {
        "_\(id)R\(recipient)"
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
