import ArgumentParser
import TernAccounts

extension User {
    /// `tern user add NAME [--password-stdin] [--address A]... [--strong-only] [--allow-cram-md5]`.
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an account; its password is stored as SCRAM-SHA-256 keys.")

        @Argument(help: "The account name: a-z, 0-9, '.', '_', '-'.")
        var name: String

        @OptionGroup var password: PasswordOption
        @OptionGroup var policy: PolicyOptions
        @OptionGroup var options: ConfigOption

        func run() throws {
            try User.reportingFailure {
                let store = try User.store(options)
                // Refused before the password is asked for; `create` checks again under the lock.
                let normalized = try Account.normalizedName(name)
                for address in policy.addresses { _ = try Account.normalizedAddress(address) }
                if try store.account(named: normalized) != nil { throw AccountStoreError.exists(normalized) }
                try store.create(
                    name: name, password: try password.read(), addresses: policy.addresses,
                    strongOnly: policy.strongOnly, allowCRAMMD5: policy.allowCRAMMD5)
            }
        }
    }
}
