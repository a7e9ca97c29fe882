/// The domain part of a mailbox, or the argument of EHLO/HELO when it is a domain.
///
/// SeeAlso: RFC 5321 §4.1.2 (`Domain`, `address-literal`), RFC 6531 §3.3 (UTF-8 labels).
public enum Domain: Hashable, Sendable, CustomStringConvertible {
    /// A host name made of labels: `mx.example.com`. UTF-8 labels only under SMTPUTF8.
    case name(String)
    /// An address literal as written between the brackets: `192.0.2.1`, `IPv6:2001:db8::1`.
    case addressLiteral(String)

    /// The domain as written on the wire.
    public var description: String {
        switch self {
        case .name(let name): name
        case .addressLiteral(let literal): "[\(literal)]"
        }
    }

    /// The key domains are compared by: names lower-cased, literals as written.
    public var normalized: String {
        switch self {
        case .name(let name): name.lowercased()
        case .addressLiteral(let literal): "[\(literal.lowercased())]"
        }
    }
}
