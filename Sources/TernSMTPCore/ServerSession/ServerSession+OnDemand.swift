/// ETRN and ATRN: the checks the protocol core owns; the rest is the owner's (docs/behaviour.md §14, §15).
extension ServerSession {
    /// Mechanisms an `odmr` listener takes before TLS: they never reveal the password
    /// (docs/behaviour.md §2.1, RFC 2645 §5).
    static let onDemandMechanismsWithoutTLS: Set<String> = ["CRAM-MD5", "SCRAM-SHA-256"]

    // Order (docs/behaviour.md §14): listener, HELO, transaction, syntax; then the owner's permission,
    // run in progress, count.
    mutating func etrn(_ argument: String) -> [ServerAction] {
        guard configuration.role == .mx else { return send(.notImplementedOnListener) }
        guard hello != nil else { return send(.sendHelloFirst) }
        guard transaction == nil else { return send(.etrnInTransaction) }
        guard let request = ETRNRequest(argument: argument) else { return send(.etrnSyntax) }
        phase = .awaiting(.reply)
        return [.ask(.etrn(request))]
    }

    // Order (docs/behaviour.md §15): listener, AUTH, syntax; then the owner's ownership, lock, mail present.
    mutating func atrn(_ argument: String) -> [ServerAction] {
        guard configuration.role == .odmr else { return send(.notImplementedOnListener) }
        guard let account else { return send(.authenticationRequired) }
        guard let request = ATRNRequest(argument: argument) else { return send(.atrnSyntax) }
        phase = .awaiting(.atrn)
        return [.ask(.atrn(request, account: account))]
    }
}
