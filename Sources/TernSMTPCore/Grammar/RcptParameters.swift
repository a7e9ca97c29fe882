/// When a recipient wants delivery status notifications: `NOTIFY=` (RFC 3461 §4.1).
public struct NotifyConditions: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let success = NotifyConditions(rawValue: 1)
    public static let failure = NotifyConditions(rawValue: 2)
    public static let delay = NotifyConditions(rawValue: 4)
    /// `NOTIFY=NEVER` is the empty set.
    public static let never: NotifyConditions = []
    /// What an absent NOTIFY means: FAILURE,DELAY.
    public static let `default`: NotifyConditions = [.failure, .delay]
}

/// `ORCPT=addr-type;xtext` (RFC 3461 §4.2), decoded.
public struct OriginalRecipient: Hashable, Sendable {
    /// The address type, such as `rfc822`.
    public var addressType: String
    /// The xtext-decoded address.
    public var address: String

    public init(addressType: String, address: String) {
        self.addressType = addressType
        self.address = address
    }
}

/// The ESMTP parameters of `RCPT TO:`.
public struct RcptParameters: Hashable, Sendable {
    /// `NOTIFY=`; nil when absent.
    public var notify: NotifyConditions?
    /// `ORCPT=`.
    public var originalRecipient: OriginalRecipient?

    public init(notify: NotifyConditions? = nil, originalRecipient: OriginalRecipient? = nil) {
        self.notify = notify
        self.originalRecipient = originalRecipient
    }
}
