extension SASLServer {
    /// Where the exchange stands; each state carries what the next step needs.
    enum State: Sendable {
        case initial
        case awaitingPlainResponse
        case awaitingLoginUsername
        case awaitingLoginPassword(username: String)
        case awaitingCRAMMD5Response(challenge: [UInt8])
        case awaitingSCRAMClientFirst
        case awaitingPasswordCredentials(username: String, password: String)
        case awaitingCRAMMD5Credentials(username: String, challenge: [UInt8], digest: [UInt8])
        case awaitingSCRAMCredentials(SCRAMClientFirst)
        case awaitingSCRAMClientFinal(SCRAMExchange)
        case awaitingSCRAMAcknowledgement(username: String)
        case finished
    }
}
