/// The name under which a server's owner accepted a message, which the 250 after its text
/// reports: `250 2.0.0 Requested mail action okay, completed: queued as <id>` (docs/behaviour.md
/// §7.1, §11).
///
/// Any name the owner's store uses will do, within what a reply line can carry: 1 to 64
/// printable ASCII characters without spaces. Tern's spool names messages with 16 letters and
/// digits that sort by arrival; ``random()`` makes a name for an owner that keeps none.
public struct QueueID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The id as the reply shows it.
    public let description: String

    /// The most characters an id may have.
    public static let maximumLength = 64

    /// `text` as an id; nil unless it is 1 to ``maximumLength`` characters from `!` to `~`.
    public init?(_ text: String) {
        guard (1...Self.maximumLength).contains(text.utf8.count), text.utf8.allSatisfy({ (0x21...0x7E).contains($0) })
        else { return nil }
        description = text
    }

    /// A new id of 16 random upper-case letters and digits, for an owner whose store names
    /// nothing (36¹⁶ possibilities: no two messages share one in practice).
    public static func random() -> QueueID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    /// A new id of 16 upper-case letters and digits drawn from `generator`.
    public static func random(using generator: inout some RandomNumberGenerator) -> QueueID {
        let digits = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        let text = (0..<16).map { _ in digits[Int(generator.next(upperBound: UInt64(digits.count)))] }
        return QueueID(String(decoding: text, as: UTF8.self))!
    }

    /// Ids compare by their text: Tern's spool ids sort in the order the messages arrived.
    public static func < (lhs: QueueID, rhs: QueueID) -> Bool {
        lhs.description < rhs.description
    }
}
