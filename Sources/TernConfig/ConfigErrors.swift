/// Every problem found in a configuration file, in line order; thrown by ``ConfigLoader``.
public struct ConfigErrors: Error, Sendable, Hashable, CustomStringConvertible {
    /// The problems, never empty.
    public var errors: [ConfigError]

    /// The errors.
    public init(_ errors: [ConfigError]) {
        self.errors = errors
    }

    /// One line per error, as `tern check-config` prints them.
    public var lines: [String] { errors.map(\.description) }

    /// The lines joined with newlines.
    public var description: String { lines.joined(separator: "\n") }
}
