// SCRAM-SHA-256 (RFC 5802, RFC 7677) without channel binding: client-first, server-first,
// client-final, server-final (sent as a challenge), and the client's empty acknowledgement.
extension SASLServer {
    mutating func scramClientFirst(_ message: [UInt8]) -> SASLStep {
        guard let clientFirst = SCRAMClientFirst(message) else { return fail(.malformed) }
        state = .awaitingSCRAMCredentials(clientFirst)
        return .lookUp(username: clientFirst.username)
    }

    /// Answers with the account's salt and iteration count, or, for an unknown user (or an
    /// account with no keys at all), with decoy ones that look the same and fail at the proof.
    mutating func scramServerFirst(_ clientFirst: SCRAMClientFirst, credentials: StoredCredentials?) -> SASLStep {
        if let credentials, let failure = policyFailure(credentials) { return fail(failure) }
        let keys = credentials?.scram
        let exchange = SCRAMExchange(clientFirst: clientFirst, keys: keys ?? secret.decoyKeys(for: clientFirst.username),
                                     isKnownUser: keys != nil, serverNonce: serverNonce())
        state = .awaitingSCRAMClientFinal(exchange)
        return .challenge(Array(exchange.serverFirst.utf8))
    }

    mutating func scramClientFinal(_ message: [UInt8], exchange: SCRAMExchange) -> SASLStep {
        guard let clientFinal = SCRAMClientFinal(message) else { return fail(.malformed) }
        do {
            let serverFinal = try exchange.verify(clientFinal)
            state = .awaitingSCRAMAcknowledgement(username: exchange.username)
            return .challenge(Array(serverFinal.utf8))
        } catch {
            return fail(error)
        }
    }

    /// ``serverNonceLength`` printable characters other than the comma, taken from the random
    /// octets that are such characters.
    private mutating func serverNonce() -> String {
        var nonce: [UInt8] = []
        while nonce.count < SASLServer.serverNonceLength {
            nonce += random.bytes(count: SASLServer.serverNonceLength - nonce.count)
                .filter { (0x21...0x7E).contains($0) && $0 != UInt8(ascii: ",") }
        }
        return String(decoding: nonce, as: UTF8.self)
    }
}
