import Foundation
package import TernSMTPCore

/// Addresses as local programs give them to `sendmail`: `user@example.com`, `<user@example.com>`,
/// `Name <user@example.com>`, a comma-separated list of those, or a bare `user`, which is
/// qualified with a default domain as sendmail does.
package enum SubmissionAddress {
    /// The recipients in one argument or address; nil when it holds none or anything else.
    package static func recipients(_ text: String, defaultDomain: Domain) -> [Mailbox]? {
        if let mailbox = mailbox(text, defaultDomain: defaultDomain) { return [mailbox] }
        guard let listed = try? HeaderAddressList.addresses(in: text), !listed.isEmpty else { return nil }
        var mailboxes: [Mailbox] = []
        for address in listed {
            guard let mailbox = mailbox(address, defaultDomain: defaultDomain) else { return nil }
            mailboxes.append(mailbox)
        }
        return mailboxes
    }

    /// A sender: empty or `<>` is the null path; nil when it is not one address.
    package static func sender(_ text: String, defaultDomain: Domain) -> ReversePath? {
        guard !unbracketed(text).isEmpty else { return .null }
        guard let found = recipients(text, defaultDomain: defaultDomain), found.count == 1 else { return nil }
        return .mailbox(found[0])
    }

    // `local@domain` or `<local@domain>` (a source route dropped), or a bare local part.
    private static func mailbox(_ text: String, defaultDomain: Domain) -> Mailbox? {
        let inner = unbracketed(text)
        guard !inner.isEmpty else { return nil }
        if let mailbox = try? AddressParser.pathContent(inner, utf8: true) { return mailbox }
        guard !inner.contains("@") else { return nil }
        return try? AddressParser.mailbox(Substring("\(inner)@\(defaultDomain)"), utf8: true)
    }

    private static func unbracketed(_ text: String) -> Substring {
        let inner = Substring(text.trimmingCharacters(in: .whitespaces))
        guard inner.count >= 2, inner.first == "<", inner.last == ">" else { return inner }
        return inner.dropFirst().dropLast()
    }
}
