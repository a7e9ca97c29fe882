package import TernSASL
import TernSMTPCore

/// One SMTP AUTH account (docs/configuration.md `tern user`): its name, what is stored about its password
/// and policy, and the addresses it owns besides `name@<each local domain>`.
package struct Account: Sendable, Hashable {
    /// The account name, lower-case; lookups are case-insensitive.
    package let name: String
    /// The SCRAM keys, CRAM-MD5 secret or legacy hash, and the policy flags.
    package var credentials: StoredCredentials
    /// Extra sender addresses the account owns (`--address`), each once, in the order given.
    package var addresses: [String]

    /// An account.
    ///
    /// - Parameters:
    ///   - name: 1–64 of `a-z`, `0-9`, `.`, `_`, `-` (no dot first, last or doubled); upper-case
    ///     ASCII letters are lower-cased.
    ///   - credentials: the stored credentials.
    ///   - addresses: extra owned addresses, `local@domain`; repeats (ignoring case) are dropped.
    /// - Throws: ``AccountStoreError/invalidName(_:)`` or ``AccountStoreError/invalidAddress(_:)``.
    package init(name: String, credentials: StoredCredentials, addresses: [String] = []) throws(AccountStoreError) {
        self.name = try Self.normalizedName(name)
        self.credentials = credentials
        var seen: Set<String> = []
        var owned: [String] = []
        for address in addresses {
            let checked = try Self.normalizedAddress(address)
            if seen.insert(checked.lowercased()).inserted { owned.append(checked) }
        }
        self.addresses = owned
    }

    /// `name` lower-cased, if it is a valid account name (as ``init(name:credentials:addresses:)``
    /// requires); lets a command refuse a bad name before it asks for a password.
    package static func normalizedName(_ name: String) throws(AccountStoreError) -> String {
        try AccountName.normalized(name)
    }

    /// `address` as the wire writes it, if it is a mailbox without spaces or control characters
    /// (which could not be stored on one line of the accounts file).
    package static func normalizedAddress(_ address: String) throws(AccountStoreError) -> String {
        guard let mailbox = try? AddressParser.mailbox(Substring(address), utf8: true) else {
            throw .invalidAddress(address)
        }
        let text = mailbox.description
        guard text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && !$0.properties.isWhitespace }) else {
            throw .invalidAddress(address)
        }
        return text
    }
}
