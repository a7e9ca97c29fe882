/// The client-first message of SCRAM (RFC 5802 §7):
/// `gs2-header client-first-message-bare`, where
/// `gs2-header = ("n" / "y") "," ["a=" saslname] ","` (a `p=` channel-binding flag is refused:
/// Tern offers no `-PLUS` mechanism) and
/// `client-first-message-bare = "n=" saslname ",r=" c-nonce ["," extensions]`.
struct SCRAMClientFirst {
    // As sent: the client-final message must echo it in `c=`.
    let gs2Header: [UInt8]
    // `=2C` and `=3D` unescaped.
    let username: String
    let nonce: String
    // Without the GS2 header: the start of the AuthMessage.
    let bare: String

    /// Parses `message`; `nil` when it breaks the grammar, requests channel binding, carries
    /// the reserved `m=` attribute, or names an authorization identity other than the user.
    init?(_ message: [UInt8]) {
        guard let text = String(validating: message, as: UTF8.self) else { return nil }
        let fields = text.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count == 3, fields[0] == "n" || fields[0] == "y" else { return nil }
        let authorization: String?
        if fields[1].isEmpty {
            authorization = nil
        } else {
            guard fields[1].hasPrefix("a="), let name = SCRAMClientFirst.unescape(fields[1].dropFirst(2)) else { return nil }
            authorization = name
        }
        let attributes = fields[2].split(separator: ",", omittingEmptySubsequences: false)
        guard attributes.count >= 2, attributes[0].hasPrefix("n="), attributes[1].hasPrefix("r="),
              let username = SCRAMClientFirst.unescape(attributes[0].dropFirst(2)),
              authorization == nil || authorization == username,
              SCRAMClientFirst.isNonce(attributes[1].dropFirst(2)),
              attributes.dropFirst(2).allSatisfy(SCRAMClientFirst.isExtension) else { return nil }
        gs2Header = Array((fields[0] + "," + fields[1] + ",").utf8)
        self.username = username
        nonce = String(attributes[1].dropFirst(2))
        bare = String(fields[2])
    }

    /// `1*printable` where `printable = %x21-2B / %x2D-7E` (no comma).
    static func isNonce(_ value: Substring) -> Bool {
        !value.isEmpty && value.utf8.allSatisfy { (0x21...0x7E).contains($0) && $0 != UInt8(ascii: ",") }
    }

    /// `attr-val = ALPHA "=" value` other than the reserved `m=`, which announces a mandatory
    /// extension Tern does not know; any other extension is ignored (RFC 5802 §5.1).
    static func isExtension(_ field: Substring) -> Bool {
        let octets = Array(field.utf8)
        return octets.count >= 2 && (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(octets[0].asciiUppercased)
            && octets[0] != UInt8(ascii: "m") && octets[1] == UInt8(ascii: "=")
    }

    /// `saslname` unescaped: `=2C` is a comma, `=3D` an equals sign, any other `=` is an error;
    /// `nil` also for an empty name or a NUL.
    static func unescape(_ name: Substring) -> String? {
        let escaped = Array(name.utf8)
        var out: [UInt8] = []
        var index = 0
        while index < escaped.count {
            switch escaped[index] {
            case UInt8(ascii: "="):
                let code = escaped[(index + 1)...].prefix(2)
                if code.elementsEqual("2C".utf8) {
                    out.append(UInt8(ascii: ","))
                } else if code.elementsEqual("3D".utf8) {
                    out.append(UInt8(ascii: "="))
                } else {
                    return nil
                }
                index += 3
            case 0:
                return nil
            case let octet:
                out.append(octet)
                index += 1
            }
        }
        return out.isEmpty ? nil : String(decoding: out, as: UTF8.self)
    }
}
