import TernSASL
import TernSMTPCore

/// The text of `<data_dir>/accounts`, version 1: a header line, then one account per line.
///
///     # Tern accounts: managed by `tern user`, do not edit.
///     tern-accounts 1
///     alice scram=4096:<salt>:<StoredKey>:<ServerKey> cram-md5=<secret> allow-cram-md5 address=a@example.org
///     bob legacy=<hash> strong-only
///
/// Fields are separated by one space; the name comes first, then in any order `scram=`
/// (iterations, then salt and keys in base64), `cram-md5=` (base64 of the CRAM-MD5 secret),
/// `legacy=` (base64 of the `{SCHEME}...` hash), the flags `allow-cram-md5` and `strong-only`,
/// and one `address=` per extra address. Every secret is base64; an account has `scram=`,
/// `legacy=` or both. Lines starting with `#` and empty lines are ignored.
package enum AccountFileFormat {
    /// The header line of this version.
    package static let header = "tern-accounts 1"

    /// The file for `accounts`, sorted by name.
    package static func encode(_ accounts: [Account]) -> [UInt8] {
        var text = "# Tern accounts: managed by `tern user`, do not edit.\n" + header + "\n"
        for account in accounts.sorted(by: { $0.name < $1.name }) {
            text += line(for: account) + "\n"
        }
        return Array(text.utf8)
    }

    private static func line(for account: Account) -> String {
        let credentials = account.credentials
        var fields = [account.name]
        if let scram = credentials.scram {
            fields.append("scram=\(scram.iterations):\(Base64.encode(scram.salt)):"
                + "\(Base64.encode(scram.storedKey)):\(Base64.encode(scram.serverKey))")
        }
        if let secret = credentials.cramMD5Secret { fields.append("cram-md5=" + Base64.encode(secret)) }
        if let legacy = credentials.legacy { fields.append("legacy=" + Base64.encode(Array(legacy.encoded.utf8))) }
        if credentials.allowCRAMMD5 { fields.append("allow-cram-md5") }
        if credentials.strongOnly { fields.append("strong-only") }
        fields += account.addresses.map { "address=" + $0 }
        return fields.joined(separator: " ")
    }

    /// The accounts in `bytes`, read from `path` (for error messages).
    package static func decode(_ bytes: [UInt8], path: String) throws(AccountStoreError) -> [Account] {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .corrupt(path: path, line: 1, reason: "not UTF-8 text")
        }
        var accounts: [Account] = []
        var names: Set<String> = []
        var sawHeader = false
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard sawHeader else {
                guard line == header else {
                    throw .corrupt(path: path, line: number, reason: "expected the header \"\(header)\"")
                }
                sawHeader = true
                continue
            }
            let account: Account
            do {
                account = try AccountLineParser.account(line)
            } catch {
                throw .corrupt(path: path, line: number, reason: error.reason)
            }
            guard names.insert(account.name).inserted else {
                throw .corrupt(path: path, line: number, reason: "user \(AccountStoreError.quote(account.name)) listed twice")
            }
            accounts.append(account)
        }
        guard sawHeader else { throw .corrupt(path: path, line: 1, reason: "expected the header \"\(header)\"") }
        return accounts
    }
}
