#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import TernAccounts
import TernSASL
import TernTestSupport

@Suite struct AccountAdministrationTests {
    private static func makeStore() throws -> (TemporaryDirectory, AccountStore) {
        let directory = try TemporaryDirectory(prefix: "tern-accounts")
        return (directory, AccountStore(dataDirectory: directory.path))
    }

    @Test func createStoresKeysAsThePolicySays() throws {
        let (directory, store) = try Self.makeStore()
        defer { directory.remove() }
        try store.create(name: "plain", password: "pw1")
        try store.create(name: "cram", password: "pw2", allowCRAMMD5: true)
        try store.create(name: "strong", password: "pw3", addresses: ["s@example.org"], strongOnly: true, allowCRAMMD5: true)

        let plain = try #require(try store.account(named: "plain"))
        #expect(plain.credentials.scram?.verify("pw1") == true)
        #expect(plain.credentials.scram?.iterations == SCRAMKeys.minimumIterations)
        #expect(plain.credentials.cramMD5Secret == nil && plain.credentials.legacy == nil)
        #expect(try store.account(named: "cram")?.credentials.cramMD5Secret == cramSecret("pw2"))
        let strong = try #require(try store.account(named: "strong"))
        #expect(strong.credentials.strongOnly && strong.credentials.cramMD5Secret == nil)
        #expect(strong.addresses == ["s@example.org"])
        #expect(throws: AccountStoreError.exists("plain")) { try store.create(name: "Plain", password: "x") }
    }

    @Test func createRefusesBeforeDerivingKeys() throws {
        let (directory, store) = try Self.makeStore()
        defer { directory.remove() }
        #expect(throws: AccountStoreError.unusablePassword) { try store.create(name: "bob", password: "") }
        #expect(throws: AccountStoreError.unusablePassword) { try store.create(name: "bob", password: "a\u{0}b") }
        #expect(throws: AccountStoreError.invalidName("bob smith")) { try store.create(name: "bob smith", password: "x") }
        #expect(throws: AccountStoreError.invalidAddress("nobody")) {
            try store.create(name: "bob", password: "x", addresses: ["nobody"])
        }
        #expect(directory.files().isEmpty)
    }

    @Test func importKeepsTheLegacyHash() throws {
        let (directory, store) = try Self.makeStore()
        defer { directory.remove() }
        try store.importAccount(name: "carol", legacyHash: AccountFixtures.sha512Crypt, allowCRAMMD5: true)
        let carol = try #require(try store.account(named: "carol"))
        #expect(carol.credentials.scram == nil && carol.credentials.allowCRAMMD5)
        #expect(carol.credentials.legacy?.verify("Hello world!") == true)
        #expect(throws: AccountStoreError.invalidLegacyHash) {
            try store.importAccount(name: "dave", legacyHash: "{MD5}rL0Y20zC+Fzt72VPzMSk2A==")
        }
        #expect(throws: AccountStoreError.invalidLegacyHash) { try store.importAccount(name: "dave", legacyHash: "$6$abc") }
    }

    @Test func setPasswordKeepsPolicyAndAddressesAndDropsTheLegacyHash() throws {
        let (directory, store) = try Self.makeStore()
        defer { directory.remove() }
        try store.importAccount(
            name: "carol", legacyHash: AccountFixtures.sha512Crypt, addresses: ["c@example.org"], allowCRAMMD5: true)
        try store.setPassword(named: "CAROL", to: "new password")
        let carol = try #require(try store.account(named: "carol"))
        #expect(carol.credentials.legacy == nil)
        #expect(carol.credentials.scram?.verify("new password") == true)
        #expect(carol.credentials.cramMD5Secret == cramSecret("new password"))
        #expect(carol.addresses == ["c@example.org"])
        #expect(throws: AccountStoreError.notFound("dave")) { try store.setPassword(named: "dave", to: "x") }
        #expect(throws: AccountStoreError.unusablePassword) { try store.setPassword(named: "carol", to: "") }
    }

    @Test func upgradeReplacesTheLegacyHash() throws {
        let (directory, store) = try Self.makeStore()
        defer { directory.remove() }
        let imported = try store.importAccount(name: "carol", legacyHash: AccountFixtures.sha512Crypt, strongOnly: true)
        var random = SystemRandomSource()
        let upgraded = imported.credentials.upgraded(password: "Hello world!", random: &random)
        #expect(try store.upgrade(named: "Carol", from: imported.credentials, to: upgraded))
        #expect(try store.account(named: "carol")?.credentials == upgraded)
        let carol = try #require(try store.account(named: "carol"))
        #expect(carol.credentials.legacy == nil && carol.credentials.strongOnly)
        #expect(carol.credentials.scram?.verify("Hello world!") == true)
    }

    @Test func upgradeNeverUndoesAnOperatorsChange() throws {
        let (directory, store) = try Self.makeStore()
        defer { directory.remove() }
        let imported = try store.importAccount(name: "carol", legacyHash: AccountFixtures.sha512Crypt)
        var random = SystemRandomSource()
        let upgraded = imported.credentials.upgraded(password: "Hello world!", random: &random)
        try store.setPassword(named: "carol", to: "set by the operator")
        #expect(try !store.upgrade(named: "carol", from: imported.credentials, to: upgraded))
        #expect(try store.account(named: "carol")?.credentials.scram?.verify("set by the operator") == true)
        try store.remove(named: "carol")
        #expect(try !store.upgrade(named: "carol", from: imported.credentials, to: upgraded))
        #expect(try store.all().isEmpty)
    }

    @Test func summaries() throws {
        let (directory, store) = try Self.makeStore()
        defer { directory.remove() }
        try store.add(AccountFixtures.account("a", AccountFixtures.scram))
        try store.add(AccountFixtures.account("b", AccountFixtures.scramAndCRAM, addresses: ["b@example.org", "x@example.net"]))
        try store.add(AccountFixtures.account("c", AccountFixtures.strongOnly))
        try store.add(AccountFixtures.account("d", AccountFixtures.legacySSHA256))
        try store.add(AccountFixtures.account("e", AccountFixtures.legacySHA512Crypt))
        #expect(try store.all().map(\.summary) == [
            "a scram any -",
            "b scram+cram-md5 allow-cram-md5 b@example.org,x@example.net",
            "c scram strong-only -",
            "d legacy allow-cram-md5 -",
            "e legacy strong-only -",
        ])
    }

    @Test(.enabled(if: geteuid() == 0, "only root gives files away"))
    func rootLeavesTheAccountFilesToTheOwnerOfTheDataDirectory() throws {
        // `tern user` is usually run as root; a server running as the data directory's owner
        // must still read the accounts (else every AUTH gets 454).
        let (directory, store) = try Self.makeStore()
        defer { directory.remove() }
        #expect(chown(directory.path, 1, 1) == 0)
        try store.create(name: "bob", password: "pw")
        try store.setPassword(named: "bob", to: "pw2")
        for name in ["accounts", "accounts.lock"] {
            var info = stat()
            #expect(lstat(directory.path + "/" + name, &info) == 0)
            #expect((info.st_uid, info.st_gid) == (1, 1), "\(name)")
            #expect(info.st_mode & 0o777 == 0o600, "\(name)")
        }
    }

    @Test func aSymbolicLinkAsTheLockFileIsRefused() throws {
        let (directory, store) = try Self.makeStore()
        defer { directory.remove() }
        let target = directory.path + "/elsewhere"
        try FileManager.default.createSymbolicLink(atPath: directory.path + "/accounts.lock", withDestinationPath: target)
        #expect(throws: (any Error).self) { try store.create(name: "bob", password: "pw") }
        #expect(!FileManager.default.fileExists(atPath: target), "nothing created through the link")
    }
}
