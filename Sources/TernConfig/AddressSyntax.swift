import TernPolicy
import TernSMTPCore

/// Mail addresses and domains as the config writes them: `user@example.com`, `*@example.com`,
/// `example.com`, `[192.0.2.1]`.
///
/// Stricter than the wire grammar: a local part is a dot-atom (no quoted strings), nothing is
/// decoded, and spaces, `<` and `>` are refused. Domains are lower-cased.
enum AddressSyntax {
    /// `local@domain`, split at the last `@`.
    static func mailbox(_ text: String) -> Mailbox? {
        guard let at = text.lastIndex(of: "@") else { return nil }
        let localPart = text[..<at]
        guard isDotAtom(localPart), let domain = domain(String(text[text.index(after: at)...])) else { return nil }
        return Mailbox(localPart: String(localPart), domain: domain)
    }

    /// A `local.mailboxes` entry: `*@domain` or a mailbox.
    static func mailboxPattern(_ text: String) -> MailboxPattern? {
        if text.hasPrefix("*@") {
            return domain(String(text.dropFirst(2))).map(MailboxPattern.anyLocalPart)
        }
        return mailbox(text).map(MailboxPattern.mailbox)
    }

    /// A domain name or an address literal (`[192.0.2.1]`, `[IPv6:2001:db8::1]`), lower-cased.
    static func domain(_ text: String) -> Domain? {
        if text.hasPrefix("["), text.hasSuffix("]"), text.count > 2 {
            let literal = text.dropFirst().dropLast()
            if literal.lowercased().hasPrefix("ipv6:") {
                let address = literal.dropFirst(5)
                return IPAddress(ipv6: address) == nil ? nil : .addressLiteral("IPv6:" + address.lowercased())
            }
            return IPAddress(ipv4: literal) == nil ? nil : .addressLiteral(String(literal))
        }
        return isHostName(text) ? .name(text.lowercased()) : nil
    }

    /// Labels of letters, digits (non-ASCII allowed) and inner hyphens, at most 63 octets each,
    /// 253 in all (RFC 1035 §2.3.4, RFC 5321 §4.1.2).
    static func isHostName(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 253 else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && label.first != "-" && label.last != "-"
                && label.unicodeScalars.allSatisfy { scalar in
                    scalar.value > 127 || scalar == "-" || ("a"..."z").contains(scalar)
                        || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                }
        }
    }

    /// RFC 5322 `dot-atom-text`, non-ASCII allowed (RFC 6531).
    private static func isDotAtom(_ text: Substring) -> Bool {
        guard !text.isEmpty else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { atom in
            !atom.isEmpty && atom.unicodeScalars.allSatisfy { scalar in
                (scalar.value > 127 && !scalar.properties.isWhitespace) || MailboxCharacters.isAtext(scalar)
            }
        }
    }
}
