/// A mailbox, `local-part "@" domain`.
///
/// The local part is kept as it was decoded: a quoted string loses its quotes and escapes, so
/// `"a@b"@example.com` has the local part `a@b`. Routing characters (`%`, `!`, `@`) in a local
/// part are never interpreted.
///
/// SeeAlso: RFC 5321 §4.1.2 (`Mailbox`, `Local-part`), RFC 6531 §3.3.
public struct Mailbox: Hashable, Sendable, CustomStringConvertible {
    /// The decoded local part.
    public var localPart: String
    /// The domain.
    public var domain: Domain

    public init(localPart: String, domain: Domain) {
        self.localPart = localPart
        self.domain = domain
    }

    /// Whether the local part needs quoting to be written back as a dot-atom.
    public var localPartNeedsQuoting: Bool {
        if localPart.isEmpty || localPart.hasPrefix(".") || localPart.hasSuffix(".") || localPart.contains("..") {
            return true
        }
        return !localPart.unicodeScalars.allSatisfy {
            $0 == "." || MailboxCharacters.isAtext($0) || MailboxCharacters.isUTF8NonASCII($0)
        }
    }

    /// The mailbox as written on the wire, the local part quoted when it must be.
    public var description: String {
        guard localPartNeedsQuoting else { return "\(localPart)@\(domain)" }
        var quoted = "\""
        for scalar in localPart.unicodeScalars {
            if scalar == "\"" || scalar == "\\" { quoted.append("\\") }
            quoted.unicodeScalars.append(scalar)
        }
        return quoted + "\"@\(domain)"
    }

    /// True when any octet of the mailbox is outside ASCII (needs SMTPUTF8).
    public var isInternationalized: Bool {
        !description.utf8.allSatisfy { $0 < 128 }
    }
}

/// Character classes of RFC 5322 §3.2.3 used by the address grammar.
package enum MailboxCharacters {
    /// `atext`: letters, digits and ``!#$%&'*+/=?^_`{|}~-``.
    package static func isAtext(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9": true
        case "!", "#", "$", "%", "&", "'", "*", "+", "/", "=", "?", "^", "_", "`", "{", "|", "}", "~", "-": true
        default: false
        }
    }

    /// `UTF8-non-ascii` as addresses under SMTPUTF8 may carry it (RFC 6531 §3.3): any scalar
    /// above ASCII except the C1 controls and U+FFFD, which stands for octets that were not
    /// UTF-8 when the line was decoded.
    package static func isUTF8NonASCII(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value > 0x9F && scalar != "\u{FFFD}"
    }
}
