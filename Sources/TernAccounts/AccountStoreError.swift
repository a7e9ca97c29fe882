/// Why an account could not be stored, found or read.
///
/// The descriptions are what `tern user` prints after `tern: `; none contains a secret.
package enum AccountStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The name is not 1–64 of `a-z`, `0-9`, `.`, `_`, `-` (dots not first, last or doubled).
    case invalidName(String)
    /// An extra address is not a mailbox `local@domain` that fits on an accounts line.
    case invalidAddress(String)
    /// `tern user import` with a hash that is neither `{SSHA256}` nor `{SHA512-CRYPT}`
    /// (the hash itself is not repeated).
    case invalidLegacyHash
    /// An empty password, or one with a NUL character, which PLAIN cannot carry.
    case unusablePassword
    /// ``AccountStore/add(_:)`` for a name that is taken.
    case exists(String)
    /// ``AccountStore/replace(_:)`` or ``AccountStore/remove(named:)`` for a name that is not.
    case notFound(String)
    /// The accounts file is not in the format ``AccountStore`` writes; `line` is 1-based.
    case corrupt(path: String, line: Int, reason: String)

    /// `user "bob" exists`, `no user "bob"`, `/var/lib/tern/accounts:3: unknown field "x"`, ...
    package var description: String {
        switch self {
        case .invalidName(let name):
            "invalid user name \(Self.quote(name)): use 1 to 64 of a-z, 0-9, \".\", \"_\" and \"-\", "
                + "no \".\" first, last or twice in a row"
        case .invalidAddress(let address):
            "invalid address \(Self.quote(address)): expected an address like \"user@example.com\""
        case .invalidLegacyHash:
            "not a {SSHA256} or {SHA512-CRYPT} hash"
        case .unusablePassword:
            "the password must not be empty or contain a NUL character"
        case .exists(let name):
            "user \(Self.quote(name)) exists"
        case .notFound(let name):
            "no user \(Self.quote(name))"
        case .corrupt(let path, let line, let reason):
            "\(path):\(line): \(reason)"
        }
    }

    /// `text` in double quotes, control characters and non-ASCII escaped so a hostile name
    /// cannot garble a terminal or a log.
    package static func quote(_ text: String) -> String {
        "\"" + text.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0 != "\u{7F}"
            ? String($0) : $0.escaped(asASCII: true) }.joined() + "\""
    }
}
