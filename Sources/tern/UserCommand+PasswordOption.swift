import ArgumentParser

extension User {
    /// Where `add` and `passwd` read the new password: the terminal, or standard input.
    struct PasswordOption: ParsableArguments {
        @Flag(help: "Read the password from one line of standard input instead of the terminal.")
        var passwordStdin = false

        /// The new password, never from the command line.
        func read() throws -> String {
            passwordStdin ? try PasswordReader.standardInput() : try PasswordReader.terminal()
        }
    }
}
