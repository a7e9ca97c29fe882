/// MD5's compression function (RFC 1321 §3.4) on its own, and an MD5 hash resumed from a saved
/// chaining state.
///
/// Crypto's `Insecure.MD5` always starts from the initial state, but CRAM-MD5 verification has
/// to continue from the HMAC-MD5 states stored in place of the password (RFC 2104 §4; see
/// ``HMACMD5Context``). MD5 is used here only inside HMAC, never as a collision-resistant hash.
enum MD5Block {
    /// The length of one block, in octets.
    static let byteCount = 64
    /// The length of a chaining state (and of a digest), in octets.
    static let stateByteCount = 16
    /// The chaining state before the first block (RFC 1321 §3.3): the words A, B, C, D.
    static let initialState: [UInt32] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476]

    // RFC 1321 §3.4: T[i] = floor(2^32 · |sin(i)|), i = 1…64 (i in radians).
    private static let sines: [UInt32] = [
        0xD76A_A478, 0xE8C7_B756, 0x2420_70DB, 0xC1BD_CEEE,
        0xF57C_0FAF, 0x4787_C62A, 0xA830_4613, 0xFD46_9501,
        0x6980_98D8, 0x8B44_F7AF, 0xFFFF_5BB1, 0x895C_D7BE,
        0x6B90_1122, 0xFD98_7193, 0xA679_438E, 0x49B4_0821,
        0xF61E_2562, 0xC040_B340, 0x265E_5A51, 0xE9B6_C7AA,
        0xD62F_105D, 0x0244_1453, 0xD8A1_E681, 0xE7D3_FBC8,
        0x21E1_CDE6, 0xC337_07D6, 0xF4D5_0D87, 0x455A_14ED,
        0xA9E3_E905, 0xFCEF_A3F8, 0x676F_02D9, 0x8D2A_4C8A,
        0xFFFA_3942, 0x8771_F681, 0x6D9D_6122, 0xFDE5_380C,
        0xA4BE_EA44, 0x4BDE_CFA9, 0xF6BB_4B60, 0xBEBF_BC70,
        0x289B_7EC6, 0xEAA1_27FA, 0xD4EF_3085, 0x0488_1D05,
        0xD9D4_D039, 0xE6DB_99E5, 0x1FA2_7CF8, 0xC4AC_5665,
        0xF429_2244, 0x432A_FF97, 0xAB94_23A7, 0xFC93_A039,
        0x655B_59C3, 0x8F0C_CC92, 0xFFEF_F47D, 0x8584_5DD1,
        0x6FA8_7E4F, 0xFE2C_E6E0, 0xA301_4314, 0x4E08_11A1,
        0xF753_7E82, 0xBD3A_F235, 0x2AD7_D2BB, 0xEB86_D391,
    ]

    // The left rotations of each round's four steps, which repeat four times per round.
    private static let rotations: [[UInt32]] = [[7, 12, 17, 22], [5, 9, 14, 20], [4, 11, 16, 23], [6, 10, 15, 21]]

    /// The chaining state after compressing the 64-octet `block` into `state`.
    ///
    /// - Precondition: `state` has four words and `block` 64 octets.
    static func compress(state: [UInt32], block: ArraySlice<UInt8>) -> [UInt32] {
        precondition(state.count == 4 && block.count == byteCount, "MD5 compresses 64 octets into 4 words")
        let words = littleEndianWords(block)
        var a = state[0], b = state[1], c = state[2], d = state[3]
        for step in 0..<64 {
            let round = step / 16
            let mixed: UInt32
            let wordIndex: Int
            switch round {
            case 0:
                mixed = (b & c) | (~b & d)
                wordIndex = step
            case 1:
                mixed = (b & d) | (c & ~d)
                wordIndex = (5 * step + 1) % 16
            case 2:
                mixed = b ^ c ^ d
                wordIndex = (3 * step + 5) % 16
            default:
                mixed = c ^ (b | ~d)
                wordIndex = (7 * step) % 16
            }
            let sum = a &+ mixed &+ sines[step] &+ words[wordIndex]
            let rotated = sum.rotatedLeft(by: rotations[round][step % 4])
            (a, b, c, d) = (d, b &+ rotated, b, c)
        }
        return [state[0] &+ a, state[1] &+ b, state[2] &+ c, state[3] &+ d]
    }

    /// The MD5 digest of a message whose first `alreadyProcessed` octets were compressed into
    /// `state` and whose remaining octets are `message`: MD5 continued over `message`, padded
    /// for a total length of `alreadyProcessed + message.count` octets (RFC 1321 §3.1–3.2).
    ///
    /// - Precondition: `state` has four words and `alreadyProcessed` is a non-negative
    ///   multiple of 64.
    static func resume(state: [UInt32], alreadyProcessed: Int, message: [UInt8]) -> [UInt8] {
        precondition(alreadyProcessed >= 0 && alreadyProcessed % byteCount == 0,
                     "MD5 resumes only at a block boundary")
        let bitLength = UInt64(alreadyProcessed + message.count) &* 8
        var padded = message
        padded.append(0x80)
        let zeros = (byteCount - (padded.count + 8) % byteCount) % byteCount
        padded += repeatElement(0, count: zeros)
        padded += (0..<8).map { UInt8(truncatingIfNeeded: bitLength >> ($0 * 8)) }
        var current = state
        for start in stride(from: 0, to: padded.count, by: byteCount) {
            current = compress(state: current, block: padded[start..<(start + byteCount)])
        }
        return octets(of: current)
    }

    /// The words as octets, each least significant first: a digest, or a state for storage.
    static func octets(of state: [UInt32]) -> [UInt8] {
        state.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> ($0 * 8)) } }
    }

    /// The 32-bit words of `octets`, each read least significant octet first; the inverse of
    /// ``octets(of:)``.
    ///
    /// - Precondition: `octets.count` is a multiple of 4.
    static func littleEndianWords(_ octets: ArraySlice<UInt8>) -> [UInt32] {
        precondition(octets.count % 4 == 0, "words are 4 octets")
        return stride(from: octets.startIndex, to: octets.endIndex, by: 4).map { start in
            (0..<4).reduce(UInt32(0)) { word, offset in word | UInt32(octets[start + offset]) << (offset * 8) }
        }
    }
}

extension UInt32 {
    fileprivate func rotatedLeft(by count: UInt32) -> UInt32 {
        self << count | self >> (32 - count)
    }
}
