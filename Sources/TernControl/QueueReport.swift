package import Foundation

/// How `tern queue` prints the queue: the table of Postfix's `mailq`, one message in detail, or
/// JSON. Times are shown in `timeZone`.
package struct QueueReport: Sendable {
    /// The zone the table and the detail show times in.
    package var timeZone: TimeZone

    package init(timeZone: TimeZone = .current) {
        self.timeZone = timeZone
    }

    /// The queue as `mailq` shows it: per message the id (`!` after it when held), size,
    /// arrival time and sender, then each recipient still to be delivered, after a
    /// `(reason)` line for a deferred one (once for consecutive recipients with the same reason);
    /// then `-- N Kbytes in M Requests.`, or `Mail queue is empty`; then for each hold domain
    /// with mail waiting for ETRN/ATRN, `-- Held for DOMAIN: M Requests.`
    package func table(_ entries: [QueueEntry]) -> String {
        guard !entries.isEmpty else { return "Mail queue is empty\n" }
        var text = "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n"
        for entry in entries {
            text += Self.padded(entry.id + (entry.held ? "!" : " "), to: 11)
            text += String(repeating: " ", count: max(0, 8 - String(entry.size).count)) + String(entry.size)
            text += " " + Self.padded(asctime(entry.arrival), to: 20)
            text += " " + (entry.sender == "<>" ? "MAILER-DAEMON" : entry.sender) + "\n"
            var lastReason: String?
            for recipient in entry.recipients where recipient.status != "delivered" && recipient.status != "failed" {
                let reason = recipient.status == "held"
                    ? "held for ETRN/ATRN" : recipient.reason.map(Self.oneLine)
                if recipient.status == "deferred" || recipient.status == "held", let reason, reason != lastReason {
                    let note = "(" + reason + ")"
                    text += String(repeating: " ", count: max(0, 79 - note.count)) + note + "\n"
                    lastReason = reason
                }
                text += String(repeating: " ", count: 41) + recipient.address + "\n"
            }
            text += "\n"
        }
        let kilobytes = entries.reduce(0) { $0 + $1.size } / 1_024
        text += "-- \(kilobytes) Kbytes in \(entries.count) Request\(entries.count == 1 ? "" : "s").\n"
        var held: [String: Int] = [:]
        for entry in entries {
            let domains = Set(entry.recipients.filter { $0.status == "held" }.map { $0.address.split(separator: "@").last.map(String.init) ?? "" })
            for domain in domains { held[domain, default: 0] += 1 }
        }
        for (domain, count) in held.sorted(by: { $0.key < $1.key }) {
            text += "-- Held for \(domain): \(count) Request\(count == 1 ? "" : "s").\n"
        }
        return text
    }

    /// One message: its queue data, every recipient with its state, an empty line, and the
    /// header section.
    package func detail(_ message: QueueMessageDetail) -> String {
        let entry = message.entry
        var text = "Queue ID:     \(entry.id)\(entry.held ? " (held)" : "")\n"
        text += "Sender:       \(entry.sender)\n"
        text += "Size:         \(entry.size)\n"
        text += "Arrival:      \(iso8601(entry.arrival))\n"
        text += "Attempts:     \(entry.attempts)\n"
        text += "Next attempt: \(entry.nextAttempt.map(iso8601) ?? "-")\n"
        text += "Recipients:\n"
        for recipient in entry.recipients {
            text += "  \(recipient.address) \(recipient.status)"
            text += recipient.reason.map { " (\(Self.oneLine($0)))" } ?? ""
            text += "\n"
        }
        text += "\n" + Self.printable(message.headers.replacingOccurrences(of: "\r\n", with: "\n"))
        if !text.hasSuffix("\n") { text += "\n" }
        return text
    }

    /// Header text as it may reach an operator's terminal: line feeds and TABs stay, every
    /// other control character (C0, DEL and C1: an escape sequence, a bare CR) is written
    /// `\xNN`, so that a header can't move the cursor, recolour or retitle the terminal.
    package static func printable(_ text: String) -> String {
        var shown = ""
        for scalar in text.unicodeScalars {
            if scalar.properties.generalCategory == .control && scalar != "\n" && scalar != "\t" {
                let hex = String(scalar.value, radix: 16, uppercase: true)
                shown += "\\x" + (hex.count < 2 ? "0" : "") + hex
            } else {
                shown.unicodeScalars.append(scalar)
            }
        }
        return shown
    }

    /// The entries as a JSON array, with ISO 8601 dates, keys sorted and indented.
    /// The checkpoint records: per record its name, octets kept, last write, the offset a
    /// resume starts from, the command, the client and TRANSID (and account); `accepted as ID`
    /// for a completed one. `No partial transactions` when there are none.
    package func partialTable(_ entries: [PartialEntry]) -> String {
        guard !entries.isEmpty else { return "No partial transactions\n" }
        var text = "-Record---------  --Stored-- ----Updated--------- -Offset-- -Client / TRANSID-\n"
        for entry in entries {
            text += Self.padded(entry.id, to: 17)
            text += String(repeating: " ", count: max(0, 10 - String(entry.stored).count)) + String(entry.stored)
            text += " " + Self.padded(asctime(entry.updated), to: 20)
            text += String(repeating: " ", count: max(0, 9 - String(entry.offset).count)) + String(entry.offset)
            text += " \(entry.command) \(entry.client) \(entry.transactionID)"
            text += entry.account.map { " (\($0))" } ?? ""
            text += entry.acceptedAs.map { " accepted as \($0)" } ?? ""
            text += "\n"
        }
        return text
    }

    package static func json(_ entries: [QueueEntry]) throws -> String {
        try json(encoding: entries)
    }

    package static func json(_ entries: [PartialEntry]) throws -> String {
        try json(encoding: entries)
    }

    private static func json(encoding value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }

    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `date` as `asctime(3)` writes it, without the year: `Mon Mar  9 14:00:00`.
    private func asctime(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.weekday, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String {
            let value = value ?? 0
            return value < 10 ? "0\(value)" : "\(value)"
        }
        let day = parts.day ?? 1
        return Self.weekdays[(parts.weekday ?? 1) - 1] + " " + Self.months[(parts.month ?? 1) - 1] + " "
            + (day < 10 ? " \(day)" : "\(day)") + " " + two(parts.hour) + ":" + two(parts.minute) + ":"
            + two(parts.second)
    }

    /// `date` in ISO 8601 with the offset of `timeZone`: `2025-03-09T14:00:00+01:00`.
    private func iso8601(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = timeZone
        return formatter.string(from: date)
    }

    private static func padded(_ text: String, to width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }

    /// `text` with every control character (a multi-line reply's line ends, say) as a space.
    private static func oneLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map {
            $0.properties.generalCategory == .control ? " " : $0
        }))
    }
}
