import TernPolicy
import TernSMTPCore

/// Mail addresses and domains as the config writes them: `user@example.com`, `*@example.com`,
/// `example.com`, `[192.0.2.1]`.
///
/// The wire grammar (`AddressParser`, RFC 5321 §4.1.2 with RFC 6531's UTF-8), made stricter for
/// a file people write by hand: no quoted local parts, address literals that are real IPv4 or
/// IPv6 addresses, host names within RFC 1035's lengths. Domains are lower-cased.
enum AddressSyntax {
    /// `local@domain`.
    static func mailbox(_ text: String) -> Mailbox? {
        guard !text.hasPrefix("\""), let at = text.lastIndex(of: "@"),
              let parsed = try? AddressParser.mailbox(Substring(text), utf8: true),
              let domain = domain(String(text[text.index(after: at)...]))
        else { return nil }
        return Mailbox(localPart: parsed.localPart, domain: domain)
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
        switch try? AddressParser.domain(Substring(text)) {
        case .name(let name)?:
            return isHostName(name) ? .name(name.lowercased()) : nil
        case .addressLiteral(let literal)?:
            if literal.lowercased().hasPrefix("ipv6:") {
                let address = literal.dropFirst(5)
                return IPAddress(ipv6: address) == nil ? nil : .addressLiteral("IPv6:" + address.lowercased())
            }
            return IPAddress(ipv4: Substring(literal)) == nil ? nil : .addressLiteral(literal)
        case nil:
            return nil
        }
    }

    /// A domain name of the wire grammar, at most 63 octets a label and 253 in all (RFC 1035
    /// §2.3.4, RFC 5321 §4.1.2).
    static func isHostName(_ text: String) -> Bool {
        guard text.utf8.count <= 253, case .name? = try? AddressParser.domain(Substring(text)) else { return false }
        return text.split(separator: ".").allSatisfy { $0.utf8.count <= 63 }
    }
}
