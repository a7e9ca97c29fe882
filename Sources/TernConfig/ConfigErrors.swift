/// Every problem found in a configuration file, in line order; thrown by ``ConfigLoader``.
package struct ConfigErrors: Error, Sendable, Hashable, CustomStringConvertible {
    /// The problems, never empty.
    package var errors: [ConfigError]

    /// The errors.
    package init(_ errors: [ConfigError]) {
        self.errors = errors
    }

    /// One line per error, as `tern check-config` prints them.
    package var lines: [String] { errors.map(\.description) }

    /// The lines joined with newlines.
    package var description: String { lines.joined(separator: "\n") }
}
