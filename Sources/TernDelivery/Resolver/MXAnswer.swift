/// What the DNS says about where mail for a domain goes.
///
/// SeeAlso: RFC 5321 §5.1, <https://www.rfc-editor.org/rfc/rfc5321#section-5.1>;
/// RFC 7505, <https://www.rfc-editor.org/rfc/rfc7505>.
package enum MXAnswer: Hashable, Sendable {
    /// The domain's mail exchangers, sorted by preference, those of equal preference in random
    /// order (RFC 5321 §5.1).
    case exchangers([MailExchanger])
    /// The domain accepts no mail: its only MX record is "." (RFC 7505). Delivery fails
    /// permanently.
    case nullMX
    /// The domain exists but has no MX records; the caller delivers to the domain's own A and
    /// AAAA addresses (RFC 5321 §5.1).
    case noRecords
}

extension MXAnswer {
    /// The answer made of these MX records: none is `.noRecords`; only records for the root
    /// (host `""`) is `.nullMX`; otherwise the other records, sorted by preference and shuffled
    /// with `generator` among equal preferences. A root record next to real exchangers breaks
    /// RFC 7505 §3 and is dropped, so that the real ones are still tried.
    package init(records: [MailExchanger], using generator: inout some RandomNumberGenerator) {
        let usable = records.filter { !$0.host.isEmpty }
        if records.isEmpty {
            self = .noRecords
        } else if usable.isEmpty {
            self = .nullMX
        } else {
            let byPreference = Dictionary(grouping: usable, by: \.preference).sorted { $0.key < $1.key }
            self = .exchangers(byPreference.flatMap { $0.value.shuffled(using: &generator) })
        }
    }
}
