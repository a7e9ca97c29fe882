import Crypto

/// HMAC-MD5 with the key already absorbed: the MD5 chaining states after the one block of
/// `key ⊕ ipad` and after the one block of `key ⊕ opad` (RFC 2104 §4). It is what the server
/// stores for CRAM-MD5 instead of the password; it answers any challenge like the password does
/// (so it must be kept secret) but does not reveal the password itself.
///
/// Stored form (``octets``, 32 octets), as Dovecot's `CRAM-MD5` password scheme lays it out: the
/// outer state, then the inner state, each as the words A, B, C, D least significant octet
/// first. The hex of these octets is Dovecot's `{CRAM-MD5}` value for the same password.
struct HMACMD5Context: Sendable, Hashable {
    /// The length of the stored form, in octets.
    static let byteCount = 2 * MD5Block.stateByteCount

    private static let innerPad: UInt8 = 0x36
    private static let outerPad: UInt8 = 0x5C

    /// The state after the `key ⊕ ipad` block.
    let inner: [UInt32]
    /// The state after the `key ⊕ opad` block.
    let outer: [UInt32]

    /// The context of `key`; a key longer than a block is first replaced by its MD5 digest
    /// (RFC 2104 §2).
    init(key: [UInt8]) {
        var block = key.count > MD5Block.byteCount ? Array(Insecure.MD5.hash(data: key)) : key
        block += repeatElement(0, count: MD5Block.byteCount - block.count)
        inner = MD5Block.compress(state: MD5Block.initialState, block: block.map { $0 ^ HMACMD5Context.innerPad }[...])
        outer = MD5Block.compress(state: MD5Block.initialState, block: block.map { $0 ^ HMACMD5Context.outerPad }[...])
    }

    /// The context of `password`'s UTF-8 octets.
    init(password: String) {
        self.init(key: Array(password.utf8))
    }

    /// A context in its stored form; `nil` unless `octets` has ``byteCount`` octets.
    init?(octets: [UInt8]) {
        guard octets.count == HMACMD5Context.byteCount else { return nil }
        outer = MD5Block.littleEndianWords(octets[..<MD5Block.stateByteCount])
        inner = MD5Block.littleEndianWords(octets[MD5Block.stateByteCount...])
    }

    /// The stored form: outer state, then inner state.
    var octets: [UInt8] {
        MD5Block.octets(of: outer) + MD5Block.octets(of: inner)
    }

    /// HMAC-MD5(key, `message`): MD5 resumed from the inner state over `message`, then from the
    /// outer state over that digest, each padded for the one key block already counted.
    func authenticationCode(for message: [UInt8]) -> [UInt8] {
        let innerDigest = MD5Block.resume(state: inner, alreadyProcessed: MD5Block.byteCount, message: message)
        return MD5Block.resume(state: outer, alreadyProcessed: MD5Block.byteCount, message: innerDigest)
    }
}

extension HMACMD5Context: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// `HMACMD5Context(<redacted>)`: the context logs in as the account, so it never reaches a log.
    var description: String { "HMACMD5Context(<redacted>)" }
    /// Same as ``description``.
    var debugDescription: String { description }
    /// A mirror without children, so `dump` shows no state.
    var customMirror: Mirror { Mirror(self, children: [:]) }
}
