/// What the first digit of a reply code says (RFC 5321 §4.2.1), shared by the replies Tern
/// sends (`Reply`) and those it receives (`Reply`).
public protocol ReplyCodeClass {
    /// The three-digit reply code.
    var code: Int { get }
}

extension ReplyCodeClass {
    /// 2yz and 3yz replies.
    public var isPositive: Bool { code < 400 }
    /// 4yz replies: try again later.
    public var isTransient: Bool { code >= 400 && code < 500 }
    /// 5yz replies: do not try again.
    public var isPermanent: Bool { code >= 500 }
}
