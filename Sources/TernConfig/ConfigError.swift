/// One problem found in a configuration file.
package struct ConfigError: Sendable, Hashable, CustomStringConvertible {
    /// The file name as the caller gave it.
    package var file: String
    /// The line the problem is on (1-based), nil when it concerns the whole file.
    package var line: Int?
    /// The dotted key, such as `limits.message_size` or `listen[0].address`; nil for syntax errors.
    package var key: String?
    /// What is wrong.
    package var message: String

    /// An error.
    package init(file: String, line: Int?, key: String?, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    /// `<file>:<line>: <key>: <message>`, the form `tern check-config` prints:
    /// `tern.toml:14: limits.message_size: expected a size like "35MiB", got "big"`.
    package var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if let key { text += "\(key): " }
        return text + message
    }
}
