import Crypto

/// A `$6$` password hash: SHA-crypt with SHA-512 (Ulrich Drepper, "Unix crypt using SHA-256 and
/// SHA-512", as glibc's `crypt` implements it), parsed from `$6$[rounds=N$]salt$checksum`.
struct SHA512Crypt {
    static let defaultRounds = 5000
    // `crypt` clamps requested rounds to this range, so no hash it wrote names others.
    static let roundsRange = 1000...999_999_999
    static let maximumSaltLength = 16

    private static let alphabet = Array("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
    private static let checksumLength = 86

    let rounds: Int
    let salt: [UInt8]
    let checksum: [UInt8]

    /// Parses `$6$[rounds=N$]salt$checksum`; `nil` when `text` is not such a hash.
    init?(_ text: some StringProtocol) {
        var fields = Array(text.utf8).split(separator: UInt8(ascii: "$"), omittingEmptySubsequences: false)
        guard fields.count >= 4, fields[0].isEmpty, Array(fields[1]) == Array("6".utf8) else { return nil }
        fields.removeFirst(2)
        var rounds = SHA512Crypt.defaultRounds
        let roundsPrefix = Array("rounds=".utf8)
        if fields.count == 3, fields[0].starts(with: roundsPrefix) {
            let digits = fields[0].dropFirst(roundsPrefix.count)
            guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ (0x30...0x39).contains($0) }),
                  let value = Int(String(decoding: digits, as: UTF8.self)),
                  SHA512Crypt.roundsRange.contains(value) else { return nil }
            rounds = value
            fields.removeFirst()
        }
        guard fields.count == 2, fields[0].count <= SHA512Crypt.maximumSaltLength,
              fields[0].allSatisfy({ (0x21...0x7E).contains($0) }),
              fields[1].count == SHA512Crypt.checksumLength,
              fields[1].allSatisfy({ SHA512Crypt.alphabet.contains($0) }) else { return nil }
        self.rounds = rounds
        self.salt = Array(fields[0])
        self.checksum = Array(fields[1])
    }

    /// Whether `password` hashes to this checksum, compared in constant time.
    func verify(_ password: String) -> Bool {
        ConstantTime.equal(SHA512Crypt.checksum(password: Array(password.utf8), salt: salt, rounds: rounds), checksum)
    }

    /// The encoded checksum of `password` under `salt` and `rounds`, steps 1–22 of Drepper's
    /// specification.
    static func checksum(password: [UInt8], salt: [UInt8], rounds: Int) -> [UInt8] {
        let alternate = digest(password, salt, password)

        var context = SHA512()
        context.update(data: password)
        context.update(data: salt)
        context.update(data: repeated(alternate, toLength: password.count))
        var length = password.count
        while length > 0 {
            context.update(data: length & 1 == 1 ? alternate : password)
            length >>= 1
        }
        var result = Array(context.finalize())

        let passwordSequence = repeated(digest(Array(repeating: password, count: password.count).flatMap { $0 }),
                                        toLength: password.count)
        let saltRepeats = 16 + Int(result[0])
        let saltSequence = repeated(digest(Array(repeating: salt, count: saltRepeats).flatMap { $0 }),
                                    toLength: salt.count)

        for round in 0..<rounds {
            var step = SHA512()
            step.update(data: round & 1 == 1 ? passwordSequence : result)
            if round % 3 != 0 { step.update(data: saltSequence) }
            if round % 7 != 0 { step.update(data: passwordSequence) }
            step.update(data: round & 1 == 1 ? result : passwordSequence)
            result = Array(step.finalize())
        }
        return encode(result)
    }

    private static func digest(_ parts: [UInt8]...) -> [UInt8] {
        var context = SHA512()
        for part in parts { context.update(data: part) }
        return Array(context.finalize())
    }

    private static func repeated(_ block: [UInt8], toLength length: Int) -> [UInt8] {
        (0..<length).map { block[$0 % block.count] }
    }

    // The output permutes the digest into 21 groups of three octets (i, i+21, i+42, rotated by
    // i mod 3) and a last lone octet, each written least significant six bits first.
    private static func encode(_ digest: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(checksumLength)
        func append(_ value: UInt32, characters: Int) {
            var value = value
            for _ in 0..<characters {
                out.append(alphabet[Int(value & 0x3F)])
                value >>= 6
            }
        }
        for group in 0..<21 {
            let octets = [digest[group], digest[group + 21], digest[group + 42]]
            let rotation = group % 3
            let ordered = (0..<3).map { octets[($0 + rotation) % 3] }
            append(UInt32(ordered[0]) << 16 | UInt32(ordered[1]) << 8 | UInt32(ordered[2]), characters: 4)
        }
        append(UInt32(digest[63]), characters: 2)
        return out
    }
}
