import ArgumentParser
import TernAccounts

extension User {
    /// `tern user del NAME`.
    struct Del: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an account.")

        @Argument(help: "The account name.")
        var name: String

        @OptionGroup var options: ConfigOption

        func run() throws {
            try User.reportingFailure {
                try User.store(options).remove(named: name)
            }
        }
    }
}
