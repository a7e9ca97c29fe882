import ArgumentParser
import TernAccounts

extension User {
    /// `tern user import NAME HASH [--address A]... [--strong-only] [--allow-cram-md5]`.
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an account from another server's {SSHA256} or {SHA512-CRYPT} hash.",
            discussion: """
                PLAIN and LOGIN over TLS check the password against the hash and replace it with \
                SCRAM-SHA-256 keys; until then SCRAM-SHA-256 and CRAM-MD5 get 432 4.7.12.
                """)

        @Argument(help: "The account name: a-z, 0-9, '.', '_', '-'.")
        var name: String

        @Argument(help: "The hash: {SSHA256}<base64> or {SHA512-CRYPT}$6$<salt>$<hash>.")
        var hash: String

        @OptionGroup var policy: PolicyOptions
        @OptionGroup var options: ConfigOption

        func run() throws {
            try User.reportingFailure {
                try User.store(options).importAccount(
                    name: name, legacyHash: hash, addresses: policy.addresses,
                    strongOnly: policy.strongOnly, allowCRAMMD5: policy.allowCRAMMD5)
            }
        }
    }
}
