/// Why a delivery attempt ended as it did, in the words of the system that said so: the
/// `Diagnostic-Code:` field of a delivery status notification (RFC 3464 §2.3.6).
package struct DSNDiagnostic: Hashable, Sendable {
    /// The diagnostic type: `smtp` for a reply from an SMTP or LMTP peer, or an `x-` type for
    /// a local error.
    package var type: String
    /// The text, such as the peer's reply `550 5.1.1 <bob@example.net>: user unknown`; the lines
    /// of a multi-line reply joined with spaces.
    package var text: String

    /// A diagnostic of `type` (`smtp` unless given) saying `text`.
    package init(type: String = "smtp", text: String) {
        self.type = type
        self.text = text
    }
}
