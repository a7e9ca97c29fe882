package import TernSMTPCore

package extension RecipientVerdict {
    /// The reply refusing this recipient (docs/behaviour.md §5), naming it as `address`; nil when it is
    /// accepted or forwarded.
    func refusal(naming address: String) -> Reply? {
        switch self {
        case .accept, .forward: nil
        case .relocated(let target): .relocated(target)
        case .unknown: .unknownUser(address)
        case .unavailable: .mailboxUnavailable(address)
        case .disabled: .mailboxDisabled(address)
        case .relayDenied: .relayDenied(address)
        }
    }
}
