/// One problem found in a configuration file.
public struct ConfigError: Sendable, Hashable, CustomStringConvertible {
    /// The file name as the caller gave it.
    public var file: String
    /// The line the problem is on (1-based), nil when it concerns the whole file.
    public var line: Int?
    /// The dotted key, such as `limits.message_size` or `listen[0].address`; nil for syntax errors.
    public var key: String?
    /// What is wrong.
    public var message: String

    /// An error.
    public init(file: String, line: Int?, key: String?, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    /// `<file>:<line>: <key>: <message>`, the form `tern check-config` prints:
    /// `tern.toml:14: limits.message_size: expected a size like "35MiB", got "big"`.
    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if let key { text += "\(key): " }
        return text + message
    }
}
