import Crypto

// CRAM-MD5 (RFC 2195): the client answers a unique challenge with its user name and
// HMAC-MD5(password, challenge) in lowercase hex. The server holds the password's HMAC-MD5
// context (`StoredCredentials.cramMD5Secret`) and resumes MD5 from it.
extension SASLServer {
    /// Sends `<n.n@hostname>`, the two numbers from the random source (the machine has no clock
    /// to supply RFC 2195's timestamp; uniqueness is what matters).
    mutating func cramMD5Challenge() -> SASLStep {
        let octets = random.bytes(count: 8)
        let first = octets[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let second = octets[4..<8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let challenge = Array("<\(first).\(second)@\(hostname)>".utf8)
        state = .awaitingCRAMMD5Response(challenge: challenge)
        return .challenge(challenge)
    }

    /// `user SP digest`, the user being everything before the last space and the digest 32 hex
    /// digits.
    mutating func cramMD5Response(_ response: [UInt8], challenge: [UInt8]) -> SASLStep {
        guard let space = response.lastIndex(of: UInt8(ascii: " ")),
              let username = String(validating: response[..<space], as: UTF8.self), !username.isEmpty,
              !response.contains(0),
              let digest = SASLServer.hexOctets(response[(space + 1)...]),
              digest.count == Insecure.MD5.byteCount else { return fail(.malformed) }
        state = .awaitingCRAMMD5Credentials(username: username, challenge: challenge, digest: digest)
        return .lookUp(username: username)
    }

    mutating func verifyCRAMMD5(_ digest: [UInt8], challenge: [UInt8], username: String,
                                credentials: StoredCredentials?) -> SASLStep {
        guard let credentials else { return fail(.invalidCredentials) }
        if let failure = policyFailure(credentials) { return fail(failure) }
        guard let secret = credentials.cramMD5Secret, let context = HMACMD5Context(octets: secret) else {
            return fail(.invalidCredentials)
        }
        let expected = context.authenticationCode(for: challenge)
        return ConstantTime.equal(expected, digest) ? succeed(username, upgrade: nil) : fail(.invalidCredentials)
    }

    private static func hexOctets(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        guard text.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var high: UInt8?
        for character in text {
            let value: UInt8
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = character - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = character - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let pending = high {
                out.append(pending << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        return out
    }
}
