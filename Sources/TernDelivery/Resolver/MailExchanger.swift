/// One MX record: a host that accepts mail for a domain, and its preference.
///
/// SeeAlso: RFC 5321 §5.1, <https://www.rfc-editor.org/rfc/rfc5321#section-5.1>.
package struct MailExchanger: Hashable, Sendable {
    /// Lower values are tried first.
    package var preference: Int
    /// The exchanger's host name, lower-cased and without the trailing dot.
    package var host: String

    package init(preference: Int, host: String) {
        self.preference = preference
        self.host = host
    }
}
