import Foundation
import TernSMTPCore

/// Display names for header fields Tern writes (RFC 5322 §3.2.5 `phrase`, RFC 2047 §5).
package enum DisplayName {
    /// A display name as RFC 5322 wants it: atoms as they are, other ASCII quoted, anything else
    /// as RFC 2047 encoded words.
    package static func phrase(_ name: String) -> String {
        let scalars = name.unicodeScalars
        if scalars.allSatisfy({ $0 == " " || MailboxCharacters.isAtext($0) }) { return name }
        if scalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) {
            return "\"" + name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                + "\""
        }
        // At most 45 octets per word: 60 characters of Base64, within the 75 of RFC 2047 §2.
        var words: [String] = []
        var octets: [UInt8] = []
        for character in name {
            let encoded = Array(String(character).utf8)
            if octets.count + encoded.count > 45, !octets.isEmpty {
                words.append("=?UTF-8?B?\(Base64.encode(octets))?=")
                octets = []
            }
            octets.append(contentsOf: encoded)
        }
        if !octets.isEmpty { words.append("=?UTF-8?B?\(Base64.encode(octets))?=") }
        return words.joined(separator: " ")
    }
}
