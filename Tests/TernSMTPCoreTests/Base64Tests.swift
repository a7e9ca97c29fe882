import Testing
import TernSMTPCore

@Suite("Base64")
struct Base64Tests {
    @Test("RFC 4648 §10 test vectors", arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ])
    func vectors(plain: String, encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test("all octet values round-trip")
    func roundTrip() {
        let octets = (0...255).map { UInt8($0) }
        #expect(Base64.decode(Base64.encode(octets)) == octets)
        #expect(Base64.encode([0xFB, 0xFF]) == "+/8=")
    }

    @Test("malformed text is refused", arguments: [
        "Zg", "Zg=", "Z===", "Zm9v YmFy", "Zg==Zg==", "Zm=v", "!!!!", "Zm9v\r\n", "====",
    ])
    func malformed(text: String) {
        #expect(Base64.decode(text) == nil)
    }
}
