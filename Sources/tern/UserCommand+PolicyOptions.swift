import ArgumentParser

extension User {
    /// The options `add` and `import` share: extra addresses and the AUTH policy.
    struct PolicyOptions: ParsableArguments {
        @Option(name: .customLong("address"), help: ArgumentHelp(
            "An extra sender address the account owns, besides NAME@<each local domain>; repeatable.",
            valueName: "address"))
        var addresses: [String] = []

        @Flag(help: "Allow only SCRAM-SHA-256: PLAIN, LOGIN and CRAM-MD5 get 534 5.7.9.")
        var strongOnly = false

        @Flag(name: .customLong("allow-cram-md5"), help: "Also keep the secret CRAM-MD5 needs (password-equivalent).")
        var allowCRAMMD5 = false
    }
}
