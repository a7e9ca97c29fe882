/// An RFC 3463 enhanced status code as a peer sent it, `class.subject.detail`.
///
/// Unlike `EnhancedStatusCode`, which lists only the codes Tern sends, this holds any code a peer
/// may use (RFC 5248's registry grows, and peers send private details).
///
/// SeeAlso: RFC 3463 §2, RFC 2034, RFC 5248.
public struct StatusCode: Hashable, Sendable, CustomStringConvertible {
    /// The class digit: 2, 4 or 5.
    public var classDigit: Int
    /// The subject, 0 to 999.
    public var subject: Int
    /// The detail, 0 to 999.
    public var detail: Int

    /// A code; `classDigit` must be 2, 4 or 5, `subject` and `detail` at most three digits.
    public init(_ classDigit: Int, _ subject: Int, _ detail: Int) {
        precondition([2, 4, 5].contains(classDigit) && (0...999).contains(subject) && (0...999).contains(detail))
        self.classDigit = classDigit
        self.subject = subject
        self.detail = detail
    }

    /// The same code as one of Tern's own.
    public init(_ code: EnhancedStatusCode) {
        let (subject, detail) = code.subject.numbers
        self.init(code.classDigit, subject, detail)
    }

    /// Parses the whole of `text` as a status code; nil when it is not one.
    ///
    ///     status-code = class "." subject "." detail
    ///     class       = "2" / "4" / "5"
    ///     subject     = 1*3digit
    ///     detail      = 1*3digit
    public init?(_ text: Substring) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 1, let classDigit = Int(parts[0]), [2, 4, 5].contains(classDigit),
              let subject = Self.number(parts[1]), let detail = Self.number(parts[2]) else { return nil }
        self.init(classDigit, subject, detail)
    }

    private static func number(_ digits: Substring) -> Int? {
        guard (1...3).contains(digits.count), digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int(digits)
    }

    /// `5.1.1`.
    public var description: String { "\(classDigit).\(subject).\(detail)" }
}
