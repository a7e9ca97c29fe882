import ArgumentParser
import TernAccounts

extension User {
    /// `tern user passwd NAME [--password-stdin]`.
    struct Passwd: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set an account's password; policy and addresses stay.")

        @Argument(help: "The account name.")
        var name: String

        @OptionGroup var password: PasswordOption
        @OptionGroup var options: ConfigOption

        func run() throws {
            try User.reportingFailure {
                let store = try User.store(options)
                // Refused before the password is asked for; `setPassword` checks again under the lock.
                guard try store.account(named: name) != nil else { throw AccountStoreError.notFound(name) }
                try store.setPassword(named: name, to: try password.read())
            }
        }
    }
}
