import TernSASL

package extension Account {
    /// What kind of credentials are stored: `scram`, `scram+cram-md5` or `legacy` (an imported
    /// hash waiting for its password transition).
    var credentialKind: String {
        switch (credentials.scram, credentials.cramMD5Secret) {
        case (nil, _): "legacy"
        case (_, nil): "scram"
        default: "scram+cram-md5"
        }
    }

    /// The AUTH policy as `tern user` flags name it: `strong-only`, `allow-cram-md5` or `any`.
    var policy: String {
        if credentials.strongOnly { return "strong-only" }
        return credentials.allowCRAMMD5 ? "allow-cram-md5" : "any"
    }

    /// The line `tern user list` prints: name, credential kind, policy and the extra addresses
    /// separated by commas (`-` for none). No secret appears in it.
    var summary: String {
        [name, credentialKind, policy, addresses.isEmpty ? "-" : addresses.joined(separator: ",")]
            .joined(separator: " ")
    }
}
