import Testing
@testable import TernSASL

@Suite("Legacy hashes")
struct LegacyHashTests {
    /// Drepper's published SHA-512 test vectors ("Unix crypt using SHA-256 and SHA-512"), as
    /// setting, password, result; plus a UTF-8 one and an empty password computed with glibc/libxcrypt.
    static let sha512CryptVectors: [(String, String, String)] = [
        ("$6$saltstring", "Hello world!",
         "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"),
        ("$6$rounds=10000$saltstringsaltstring", "Hello world!",
         "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."),
        ("$6$rounds=5000$toolongsaltstring", "This is just a test",
         "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0"),
        ("$6$rounds=1400$anotherlongsaltstring",
         "a very much longer text to encrypt.  This one even stretches over morethan one line.",
         "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1"),
        ("$6$rounds=77777$short", "we have a short salt string but not a short password",
         "$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0"),
        ("$6$rounds=10$roundstoolow", "the minimum number is still observed",
         "$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX."),
        ("$6$saltUTF8", "pässwörd ünïcode",
         "$6$saltUTF8$8FU5GYJIjX0GEMhwHlJ/J1NG6WusTxBu0wOYfEmH6r8DyD.BO5FdTiKU7/ReTdqO9g0NAyBPA1V5qsWCzOR/N."),
        ("$6$x", "",
         "$6$x$QSmr1Bx2g4O6BzKvdkgOcyU6H91X6I/XBv5pSalMhSPkwdH6Beo3F455xZJg0v//bxVK5F4OE5k1.0xuR26MK0"),
    ]

    @Test("SHA-crypt computes the published checksums", arguments: sha512CryptVectors)
    func sha512CryptChecksum(setting: String, password: String, result: String) throws {
        let parsed = try #require(SHA512Crypt(result))
        #expect(SHA512Crypt.checksum(password: Array(password.utf8), salt: parsed.salt, rounds: parsed.rounds) == parsed.checksum)
        #expect(Array(result.utf8).starts(with: Array(setting.prefix(3).utf8)))
    }

    @Test("{SHA512-CRYPT} hashes verify their password and no other", arguments: sha512CryptVectors)
    func sha512CryptVerify(setting: String, password: String, result: String) throws {
        let hash = try #require(LegacyHash("{SHA512-CRYPT}" + result))
        #expect(hash == .sha512Crypt(result))
        #expect(hash.verify(password))
        #expect(!hash.verify(password + "x"))
        #expect(hash.encoded == "{SHA512-CRYPT}" + result)
    }

    @Test("{SSHA256}: SHA-256(password ‖ salt) ‖ salt")
    func ssha256() throws {
        let text = "{SSHA256}8RweUWfW05HMR6Di4hdMmGmnwApS7zXZ2UYo0TxiMScBAgMEc2FsdHNhbHQ="
        let hash = try #require(LegacyHash(text))
        guard case .ssha256(let digest, let salt) = hash else {
            Issue.record("not SSHA256")
            return
        }
        #expect(digest.count == 32)
        #expect(salt == [1, 2, 3, 4] + Array("saltsalt".utf8))
        #expect(hash.verify("correct horse"))
        #expect(!hash.verify("correct horse "))
        #expect(!hash.verify(""))
        #expect(hash.encoded == text)
    }

    @Test("scheme names are case-insensitive")
    func schemeCase() {
        #expect(LegacyHash("{ssha256}8RweUWfW05HMR6Di4hdMmGmnwApS7zXZ2UYo0TxiMScBAgMEc2FsdHNhbHQ=")?.verify("correct horse") == true)
        #expect(LegacyHash("{sha512-crypt}" + LegacyHashTests.sha512CryptVectors[0].2)?.verify("Hello world!") == true)
    }

    @Test("malformed hashes are refused", arguments: [
        "", "8RweUWfW05HMR6Di4hdMmGmnwApS7zXZ2UYo0TxiMScBAgMEc2FsdHNhbHQ=", "{SSHA256}",
        "{SSHA256}not base64!", "{SSHA256}8RweUWfW05HMR6Di4hdMmGmnwApS7zXZ2UYo0TxiMSc=",
        "{SSHA512}8RweUWfW05HMR6Di4hdMmGmnwApS7zXZ2UYo0TxiMScBAgMEc2FsdHNhbHQ=",
        "{SHA512-CRYPT}", "{SHA512-CRYPT}$6$saltstring",
        "{SHA512-CRYPT}$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZF6RLZ4bD",
        "{SHA512-CRYPT}$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz",
        "{SHA512-CRYPT}$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35in_1",
        "{SHA512-CRYPT}$6$rounds=10$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.",
        "{SHA512-CRYPT}$6$rounds=$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.",
        "{SHA512-CRYPT}$6$toolongsaltstring$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0",
    ])
    func malformed(text: String) {
        #expect(LegacyHash(text) == nil)
    }

    @Test("descriptions never show the hash")
    func redacted() throws {
        let hash = try #require(LegacyHash("{SSHA256}8RweUWfW05HMR6Di4hdMmGmnwApS7zXZ2UYo0TxiMScBAgMEc2FsdHNhbHQ="))
        #expect("\(hash)" == "LegacyHash(<redacted>)")
        #expect(String(reflecting: hash) == "LegacyHash(<redacted>)")
        var dumped = ""
        dump(hash, to: &dumped)
        #expect(!dumped.contains("8RweU") && !dumped.contains("241"))
    }
}
