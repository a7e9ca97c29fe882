/// A status code as a delivery status notification carries it in `Status:`: `class.subject.detail`
/// (RFC 3463), such as `5.1.1`, for any code a peer may send, not only the ones Tern sends.
package struct DSNStatus: Hashable, Sendable, CustomStringConvertible {
    /// 2 (success), 4 (persistent transient failure) or 5 (permanent failure).
    package let classDigit: Int
    /// The subject, 0 to 999.
    package let subject: Int
    /// The detail, 0 to 999.
    package let detail: Int

    /// Parses `x.y.z`: a class of 2, 4 or 5, then a subject and a detail of one to three digits
    /// each (RFC 3463 §2); nil for anything else.
    package init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
            parts.allSatisfy({ (1...3).contains($0.utf8.count) && $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }),
            let classDigit = Int(parts[0]), [2, 4, 5].contains(classDigit), parts[0].utf8.count == 1,
            let subject = Int(parts[1]), let detail = Int(parts[2])
        else { return nil }
        self.classDigit = classDigit
        self.subject = subject
        self.detail = detail
    }

    /// `5.1.1`.
    package var description: String {
        "\(classDigit).\(subject).\(detail)"
    }
}
