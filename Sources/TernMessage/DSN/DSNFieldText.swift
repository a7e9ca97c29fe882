package import TernSMTPCore

/// How values are written into the fields and text of a delivery status notification.
///
/// Addresses: an ASCII mailbox is `rfc822; user@example.com`; a mailbox with non-ASCII
/// characters (SMTPUTF8 mail) is `utf-8; ` followed by the RFC 6533 §3 `utf-8-addr-xtext` form,
/// so the `message/delivery-status` part stays 7-bit: printable ASCII except `+`, `=` and `\`
/// as is, every other character as `\x{HEX}`.
package enum DSNFieldText {
    /// `rfc822; address` or `utf-8; encoded-address`.
    package static func address(_ mailbox: Mailbox) -> String {
        let text = mailbox.description
        guard mailbox.isInternationalized else { return "rfc822; \(text)" }
        var encoded = ""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x21...0x7E where scalar != "+" && scalar != "=" && scalar != "\\":
                encoded.unicodeScalars.append(scalar)
            default:
                encoded += "\\x{\(hex(scalar.value))}"
            }
        }
        return "utf-8; \(encoded)"
    }

    /// `ORCPT=` as given (RFC 3461 §4.2), decoded; a character outside printable ASCII, which only
    /// an xtext `+XX` escape can have put there, is written as that escape again.
    package static func originalRecipient(_ original: OriginalRecipient) -> String {
        var address = ""
        for scalar in original.address.unicodeScalars {
            if (0x20...0x7E).contains(scalar.value) {
                address.unicodeScalars.append(scalar)
            } else {
                address += hexchars(scalar)
            }
        }
        return "\(asciiSafe(original.addressType)); \(address)"
    }

    /// RFC 3461 §4 xtext: printable ASCII except `+` and `=` as is, everything else `+XX`.
    /// Characters up to U+00FF stand for one octet each, as the ESMTP parameter parser decodes
    /// them; others are written as their UTF-8 octets.
    package static func xtext(_ value: String) -> String {
        var encoded = ""
        for scalar in value.unicodeScalars {
            if (0x21...0x7E).contains(scalar.value), scalar != "+", scalar != "=" {
                encoded.unicodeScalars.append(scalar)
            } else {
                encoded += hexchars(scalar)
            }
        }
        return encoded
    }

    /// `value` with control characters (line breaks included) turned into spaces, so it stays
    /// on its line; other characters, UTF-8 ones too, kept.
    package static func lineSafe(_ value: String) -> String {
        String(String.UnicodeScalarView(value.unicodeScalars.map { isControl($0) ? " " : $0 }))
    }

    /// `value` for a field that must be ASCII: control characters as spaces, non-ASCII as `?`.
    package static func asciiSafe(_ value: String) -> String {
        String(String.UnicodeScalarView(value.unicodeScalars.map { isControl($0) ? " " : $0.isASCII ? $0 : "?" }))
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    private static func hexchars(_ scalar: Unicode.Scalar) -> String {
        let octets = scalar.value <= 0xFF ? [UInt8(scalar.value)] : Array(String(scalar).utf8)
        return octets.map { "+\(hex(UInt32($0)))" }.joined()
    }

    // Upper-case hex, at least two digits.
    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return digits.count < 2 ? "0" + digits : digits
    }
}
