import ArgumentParser
import TernAccounts

extension User {
    /// `tern user list`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the accounts: name, credentials, policy, extra addresses (never secrets).",
            discussion: """
                Credentials are scram, scram+cram-md5 or legacy (an imported hash not yet \
                converted); the policy is strong-only, allow-cram-md5 or any; "-" means no extra \
                address.
                """)

        @OptionGroup var options: ConfigOption

        func run() throws {
            try User.reportingFailure {
                for account in try User.store(options).all() {
                    print(account.summary)
                }
            }
        }
    }
}
