package import TernSASL

/// What `tern user` does, and the server's password transition, in terms of plain values.
package extension AccountStore {
    /// `tern user add`: an account with fresh SCRAM-SHA-256 keys for `password` (and the
    /// CRAM-MD5 secret when `allowCRAMMD5` is set and `strongOnly` is not).
    ///
    /// - Throws: ``AccountStoreError`` for a bad name, address or password, or a taken name;
    ///   file system errors.
    @discardableResult
    func create(
        name: String, password: String, addresses: [String] = [], strongOnly: Bool = false, allowCRAMMD5: Bool = false
    ) throws -> Account {
        try Self.checkUsable(password)
        // Name and addresses are checked before the deliberately slow key derivation.
        _ = try Account.normalizedName(name)
        for address in addresses { _ = try Account.normalizedAddress(address) }
        var random = SystemRandomSource()
        let credentials = StoredCredentials.create(
            password: password, allowCRAMMD5: allowCRAMMD5, strongOnly: strongOnly, random: &random)
        let account = try Account(name: name, credentials: credentials, addresses: addresses)
        try add(account)
        return account
    }

    /// `tern user import`: an account holding only a legacy hash, `{SSHA256}<base64>` or
    /// `{SHA512-CRYPT}$6$...`, until its first PLAIN or LOGIN login.
    ///
    /// - Throws: ``AccountStoreError/invalidLegacyHash`` and the errors of
    ///   ``create(name:password:addresses:strongOnly:allowCRAMMD5:)``.
    @discardableResult
    func importAccount(
        name: String, legacyHash: String, addresses: [String] = [], strongOnly: Bool = false, allowCRAMMD5: Bool = false
    ) throws -> Account {
        guard let hash = LegacyHash(legacyHash) else { throw AccountStoreError.invalidLegacyHash }
        let account = try Account(
            name: name, credentials: StoredCredentials(legacy: hash, allowCRAMMD5: allowCRAMMD5, strongOnly: strongOnly),
            addresses: addresses)
        try add(account)
        return account
    }

    /// `tern user passwd`: new SCRAM keys (and CRAM-MD5 secret, as the account's policy says)
    /// for `password`; a legacy hash is dropped. Policy and addresses are kept.
    ///
    /// - Throws: ``AccountStoreError/notFound(_:)``, ``AccountStoreError/unusablePassword``;
    ///   file system errors.
    func setPassword(named name: String, to password: String) throws {
        try Self.checkUsable(password)
        guard let key = try? AccountName.normalized(name) else { throw AccountStoreError.notFound(name) }
        try modify { accounts in
            guard var account = accounts[key] else { throw AccountStoreError.notFound(key) }
            var random = SystemRandomSource()
            account.credentials = account.credentials.upgraded(password: password, random: &random)
            accounts[key] = account
        }
    }

    /// The password transition (docs/behaviour.md §13): after a PLAIN or LOGIN password was accepted
    /// against the legacy hash in `old`, stores `new` (`old.upgraded(password:random:)`, with
    /// SCRAM keys and, if the policy allows it, the CRAM-MD5 secret) in its place.
    ///
    /// Nothing is written when the account no longer holds `old` (an operator changed the
    /// password, re-imported or deleted the account meanwhile), so a login with the old
    /// password never undoes that change.
    ///
    /// - Returns: whether the credentials were replaced.
    /// - Throws: file system errors, or a corrupt file.
    @discardableResult
    func upgrade(named name: String, from old: StoredCredentials, to new: StoredCredentials) throws -> Bool {
        guard let key = try? AccountName.normalized(name) else { return false }
        var replaced = false
        try modify { accounts in
            guard var stored = accounts[key], stored.credentials == old else { return }
            stored.credentials = new
            accounts[key] = stored
            replaced = true
        }
        return replaced
    }

    private static func checkUsable(_ password: String) throws(AccountStoreError) {
        guard !password.isEmpty, !password.utf8.contains(0) else { throw .unusablePassword }
    }
}
