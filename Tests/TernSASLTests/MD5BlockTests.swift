import Crypto
import Testing
@testable import TernSASL

@Suite("MD5 compression and the HMAC-MD5 context")
struct MD5BlockTests {
    @Test("resumed from the initial state, MD5 matches Crypto for every length 0…300")
    func fromInitialState() {
        var generator = SeededGenerator(seed: 1321)
        for length in 0...300 {
            let message = generator.octets(length)
            let digest = MD5Block.resume(state: MD5Block.initialState, alreadyProcessed: 0, message: message)
            #expect(digest == Array(Insecure.MD5.hash(data: message)), "length \(length)")
        }
    }

    @Test("resumed after whole blocks, MD5 matches Crypto over the whole message")
    func afterBlocks() {
        var generator = SeededGenerator(seed: 64)
        for length in 0...300 {
            let message = generator.octets(length)
            for blocks in 0...(length / MD5Block.byteCount) {
                var state = MD5Block.initialState
                for index in 0..<blocks {
                    let start = index * MD5Block.byteCount
                    state = MD5Block.compress(state: state, block: message[start..<(start + MD5Block.byteCount)])
                }
                let processed = blocks * MD5Block.byteCount
                let digest = MD5Block.resume(state: state, alreadyProcessed: processed, message: Array(message[processed...]))
                #expect(digest == Array(Insecure.MD5.hash(data: message)), "length \(length), \(blocks) blocks first")
            }
        }
    }

    @Test("RFC 1321 test suite")
    func rfc1321() {
        let suite = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
            (String(repeating: "1234567890", count: 8), "57edf4a22be3c955ac49da2e2107b67a"),
        ]
        for (message, digest) in suite {
            #expect(MD5Block.resume(state: MD5Block.initialState, alreadyProcessed: 0, message: [UInt8](message)).hex == digest)
        }
    }

    @Test("the context computes HMAC-MD5 like Crypto for keys of 0…100 octets")
    func hmacMatchesCrypto() {
        var generator = SeededGenerator(seed: 2104)
        for keyLength in 0...100 {
            let key = generator.octets(keyLength)
            let context = HMACMD5Context(key: key)
            #expect(HMACMD5Context(octets: context.octets) == context, "key length \(keyLength)")
            for messageLength in [0, 1, 42, 55, 56, 63, 64, 65, 119, 120, 128, 300, Int.random(in: 0...300, using: &generator)] {
                let message = generator.octets(messageLength)
                let expected = HMAC<Insecure.MD5>.authenticationCode(for: message, using: SymmetricKey(data: key))
                #expect(context.authenticationCode(for: message) == Array(expected),
                        "key length \(keyLength), message length \(messageLength)")
            }
        }
    }

    @Test("RFC 2195 example: tim / tanstaaftanstaaf")
    func rfc2195() {
        let context = HMACMD5Context(password: "tanstaaftanstaaf")
        let challenge = [UInt8]("<1896.697170952@postoffice.reston.mci.net>")
        #expect(context.authenticationCode(for: challenge).hex == "b913a602c7eda7a495b4e6e7334d3890")
    }

    @Test("RFC 2202 HMAC-MD5 test cases 1, 2, 6 and 7 (keys of 16, 4 and 80 octets)")
    func rfc2202() {
        let cases: [([UInt8], String, String)] = [
            ([UInt8](repeating: 0x0B, count: 16), "Hi There", "9294727a3638bb1c13f48ef8158bfc9d"),
            ([UInt8]("Jefe"), "what do ya want for nothing?", "750c783e6ab0b503eaa86e310a5db738"),
            ([UInt8](repeating: 0xAA, count: 80), "Test Using Larger Than Block-Size Key - Hash Key First",
             "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"),
            ([UInt8](repeating: 0xAA, count: 80), "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
             "6f630fad67cda0ee1fb1f562db3aa53e"),
        ]
        for (key, message, code) in cases {
            #expect(HMACMD5Context(key: key).authenticationCode(for: [UInt8](message)).hex == code)
        }
    }

    @Test("the stored form is Dovecot's {CRAM-MD5} layout: outer state, then inner state")
    func dovecotLayout() {
        // `doveadm pw -s CRAM-MD5` for the password "password".
        #expect(HMACMD5Context(password: "password").octets.hex
            == "9186d855e11eba527a7a52ca82b313e180d62234f0acc9051b527243d41e2740")
        let context = HMACMD5Context(key: [UInt8]("key"))
        let outerPadded = [UInt8]("key").map { $0 ^ 0x5C } + [UInt8](repeating: 0x5C, count: 61)
        #expect(Array(context.octets.prefix(16)) == MD5Block.octets(of: MD5Block.compress(state: MD5Block.initialState,
                                                                                         block: outerPadded[...])))
    }

    @Test("a stored form of another length is refused", arguments: [0, 16, 31, 33, 64])
    func wrongLength(count: Int) {
        #expect(HMACMD5Context(octets: [UInt8](repeating: 1, count: count)) == nil)
    }

    @Test("descriptions never show the context")
    func redacted() {
        let context = HMACMD5Context(password: "password")
        var dumped = ""
        dump(context, to: &dumped)
        for text in ["\(context)", String(reflecting: context), dumped] {
            #expect(!text.contains("9186") && !text.contains(String(context.outer[0])))
        }
    }
}
