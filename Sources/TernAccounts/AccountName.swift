import TernSMTPCore

/// The rules for account names: the local part an account owns in every local domain, and the
/// key lookups use.
package enum AccountName {
    /// The longest name.
    package static let maximumLength = 64

    /// `name` with ASCII letters lower-cased, if it is then a valid name: 1–64 of `a-z`, `0-9`,
    /// `.`, `_`, `-`, with no dot first, last or next to another (a dot-atom, RFC 5321 §4.1.2).
    package static func normalized(_ name: String) throws(AccountStoreError) -> String {
        let lowered = name.asciiLowercased
        let octets = Array(lowered.utf8)
        guard (1...maximumLength).contains(octets.count),
              octets.allSatisfy(isAllowed),
              octets.first != UInt8(ascii: "."), octets.last != UInt8(ascii: "."),
              !lowered.contains("..") else {
            throw .invalidName(name)
        }
        return lowered
    }

    private static func isAllowed(_ octet: UInt8) -> Bool {
        switch octet {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"): true
        default: false
        }
    }
}
