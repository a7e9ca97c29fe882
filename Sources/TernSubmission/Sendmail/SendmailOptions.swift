/// The command line of `tern sendmail`, read the way `/usr/sbin/sendmail` reads it: options
/// in getopt style (`-ti` is `-t -i`; an option's value attached, `-fSENDER`, or in the next
/// argument, `-f SENDER`), recipients anywhere among them, `--` ending the options.
///
/// Understood: `-t`, `-f`/`-r SENDER` (`<>` or an empty value for the null sender), `-F NAME`,
/// `-i` and `-oi`, `-bm` (the default) and `-bs`, `-C FILE` and `--config FILE`. Accepted and
/// ignored, as local programs pass them out of habit: `-v`, `-m`, `-n`, `-G`, `-U`, every other
/// `-o` and `-O` option, `-A`, `-B`, `-e`, `-h`, `-L`, `-N`, `-p`, `-R`, `-V`, `-X` with their
/// values. Anything else, other `-b` modes and `-q` are usage errors.
package struct SendmailOptions: Sendable, Hashable {
    /// What `sendmail` is asked to do (`-b`).
    package enum Mode: Sendable, Hashable {
        /// `-bm`: read one message on standard input and queue it.
        case deliver
        /// `-bs`: speak SMTP on standard input and output.
        case smtp
    }

    /// A command line that can't be honoured; `sendmail` exits with 64 (EX_USAGE).
    package struct UsageError: Error, Hashable, Sendable, CustomStringConvertible {
        /// What is wrong, for standard error.
        package var description: String

        /// An error saying `description`.
        package init(description: String) {
            self.description = description
        }
    }

    /// `-bm` or `-bs`.
    package var mode: Mode = .deliver
    /// `-t`: take recipients from the `To:`, `Cc:` and `Bcc:` fields too.
    package var extractRecipients = false
    /// `-f` or `-r`, as given; nil when absent.
    package var sender: String?
    /// `-F`: the full name for a `From:` field the message lacks.
    package var fullName: String?
    /// `-i` or `-oi`: a line with a single `.` does not end the message.
    package var ignoreDots = false
    /// `-C` or `--config`.
    package var configPath: String?
    /// The recipient arguments, as given.
    package var recipients: [String] = []

    /// Options whose value is accepted and ignored.
    private static let ignoredWithValue: Set<Character> = ["A", "B", "e", "h", "L", "N", "O", "p", "R", "V", "X"]
    /// Options that take a value.
    private static let withValue = ignoredWithValue.union(["f", "r", "F", "C", "b", "o"])
    /// Flags accepted and ignored.
    private static let ignoredFlags: Set<Character> = ["v", "m", "n", "G", "U"]

    /// The defaults: `-bm`, no recipients.
    package init() {}

    /// Reads `arguments` (without the program name).
    package init(parsing arguments: [String]) throws(UsageError) {
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            if argument == "--" {
                recipients.append(contentsOf: remaining)
                break
            }
            if argument == "--config" {
                guard let value = remaining.popFirst() else { throw UsageError(description: "--config needs a file") }
                configPath = value
            } else if argument.hasPrefix("--config=") {
                configPath = String(argument.dropFirst("--config=".count))
            } else if argument.hasPrefix("--") {
                throw UsageError(description: "unknown option \(argument)")
            } else if argument.hasPrefix("-") && argument.count > 1 {
                try readCluster(argument.dropFirst(), remaining: &remaining)
            } else {
                recipients.append(argument)
            }
        }
    }

    // One argument of single-letter options: flags, then possibly one option with its value.
    private mutating func readCluster(_ cluster: Substring, remaining: inout ArraySlice<String>) throws(UsageError) {
        var letters = cluster
        while let letter = letters.popFirst() {
            switch letter {
            case "t": extractRecipients = true
            case "i": ignoreDots = true
            case let flag where Self.ignoredFlags.contains(flag): continue
            case "q":
                throw UsageError(description: "queue runs (-q) are the server's work; see tern queue")
            case let option where Self.withValue.contains(option):
                let value: String
                if !letters.isEmpty {
                    value = String(letters)
                } else if let next = remaining.popFirst() {
                    value = next
                } else {
                    throw UsageError(description: "option -\(option) needs a value")
                }
                try apply(option, value)
                return
            default:
                throw UsageError(description: "unknown option -\(letter)")
            }
        }
    }

    private mutating func apply(_ letter: Character, _ value: String) throws(UsageError) {
        switch letter {
        case "f", "r": sender = value
        case "F": fullName = value
        case "C": configPath = value
        case "o": if value == "i" { ignoreDots = true }
        case "b":
            switch value {
            case "m": mode = .deliver
            case "s": mode = .smtp
            default: throw UsageError(description: "unsupported mode -b\(value)")
            }
        default: break
        }
    }
}
