import Foundation
import Testing
import TernAccounts
import TernIO
import TernSASL
import TernTestSupport

@Suite struct AccountStoreTests {
    /// A store on `<fresh data directory>/accounts`.
    private static func makeStore() throws -> (TemporaryDirectory, AccountStore) {
        let directory = try TemporaryDirectory(prefix: "tern-accounts")
        return (directory, AccountStore(dataDirectory: directory.path + "/data"))
    }

    @Test func roundTripOfEveryCredentialKind() throws {
        let (directory, store) = try Self.makeStore()
        defer { directory.remove() }
        let accounts = [
            AccountFixtures.account("scram", AccountFixtures.scram),
            AccountFixtures.account("cram", AccountFixtures.scramAndCRAM),
            AccountFixtures.account("strong", AccountFixtures.strongOnly),
            AccountFixtures.account("ssha", AccountFixtures.legacySSHA256),
            AccountFixtures.account("crypt", AccountFixtures.legacySHA512Crypt),
            AccountFixtures.account(
                "addressed", AccountFixtures.scram, addresses: ["sales@example.org", "b@[192.0.2.1]", "ü@example.org"]),
        ]
        for account in accounts { try store.add(account) }

        let reread = AccountStore(path: directory.path + "/data/accounts")
        #expect(try reread.all() == accounts.sorted { $0.name < $1.name })
        for account in accounts {
            #expect(try reread.account(named: account.name) == account)
        }
        let crypt = try #require(try reread.account(named: "crypt"))
        #expect(crypt.credentials.legacy?.verify("Hello world!") == true)
        #expect(crypt.credentials.scram == nil && crypt.credentials.strongOnly)
        let cram = try #require(try reread.account(named: "cram"))
        #expect(cram.credentials.cramMD5Secret == cramSecret(AccountFixtures.password))
        #expect(cram.credentials.scram?.verify(AccountFixtures.password) == true)
    }

    @Test func theFileHoldsNoPlainPassword() throws {
        let (directory, store) = try Self.makeStore()
        defer { directory.remove() }
        try store.add(AccountFixtures.account("alice", AccountFixtures.scramAndCRAM))
        let text = try String(contentsOfFile: store.path, encoding: .utf8)
        #expect(!text.contains(AccountFixtures.password))
        #expect(text.contains("tern-accounts 1\nalice scram=4096:"))
    }

    @Test func lookupsIgnoreCase() throws {
        let (directory, store) = try Self.makeStore()
        defer { directory.remove() }
        try store.add(AccountFixtures.account("Alice"))
        #expect(try store.account(named: "ALICE")?.name == "alice")
        #expect(try store.account(named: "alice")?.name == "alice")
        #expect(try store.account(named: "bad name!") == nil)
    }

    @Test func addReplaceRemove() throws {
        let (directory, store) = try Self.makeStore()
        defer { directory.remove() }
        #expect(try store.all().isEmpty)
        try store.add(AccountFixtures.account("bob"))
        #expect(throws: AccountStoreError.exists("bob")) { try store.add(AccountFixtures.account("BOB")) }
        #expect(throws: AccountStoreError.notFound("carol")) { try store.replace(AccountFixtures.account("carol")) }
        #expect(throws: AccountStoreError.notFound("carol")) { try store.remove(named: "Carol") }

        let upgraded = AccountFixtures.account("bob", AccountFixtures.strongOnly, addresses: ["bob@example.org"])
        try store.replace(upgraded)
        #expect(try store.account(named: "bob") == upgraded)
        try store.remove(named: "Bob")
        #expect(try store.account(named: "bob") == nil)
        #expect(try store.all().isEmpty)
    }

    @Test func changesByAnotherWriterAreSeen() throws {
        let (directory, reader) = try Self.makeStore()
        defer { directory.remove() }
        let writer = AccountStore(path: reader.path)
        #expect(try reader.account(named: "bob") == nil)

        try writer.add(AccountFixtures.account("bob", AccountFixtures.scram))
        #expect(try reader.account(named: "bob")?.credentials == AccountFixtures.scram)

        // A password change keeps the line's length: only the inode and times tell.
        let changed: StoredCredentials = {
            var random = SystemRandomSource()
            return StoredCredentials.create(password: "other", allowCRAMMD5: false, strongOnly: false, random: &random)
        }()
        try writer.replace(AccountFixtures.account("bob", changed))
        #expect(try reader.account(named: "bob")?.credentials == changed)

        try writer.remove(named: "bob")
        #expect(try reader.account(named: "bob") == nil)
        try FileManager.default.removeItem(atPath: reader.path)
        #expect(try reader.all().isEmpty)
    }

    @Test func aMissingFileIsNoAccountsAndCreatesNothing() throws {
        let (directory, store) = try Self.makeStore()
        defer { directory.remove() }
        #expect(try store.all().isEmpty)
        #expect(try store.account(named: "bob") == nil)
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/data"))
    }

    @Test func writesLeaveOnlyTheFileAndTheLockWithTheirModes() throws {
        let (directory, store) = try Self.makeStore()
        defer { directory.remove() }
        try store.add(AccountFixtures.account("bob"))
        try store.add(AccountFixtures.account("carol"))
        #expect(directory.files() == ["data/accounts", "data/accounts.lock"])
        let manager = FileManager.default
        #expect(try manager.attributesOfItem(atPath: store.path)[.posixPermissions] as? Int == 0o600)
        #expect(try manager.attributesOfItem(atPath: directory.path + "/data")[.posixPermissions] as? Int == 0o700)
    }

    @Test(arguments: [TestFileOperations.Call.write, .fsync, .rename])
    func aFailedWriteRemovesItsTemporaryFileAndKeepsTheOldFile(_ call: TestFileOperations.Call) throws {
        let (directory, store) = try Self.makeStore()
        defer { directory.remove() }
        try store.add(AccountFixtures.account("bob"))
        let before = try Data(contentsOf: URL(fileURLWithPath: store.path))

        let failing = AccountStore(path: store.path, operations: TestFileOperations { failing, _ in failing == call })
        #expect(throws: FileSystemError.self) { try failing.add(AccountFixtures.account("carol")) }
        #expect(directory.files() == ["data/accounts", "data/accounts.lock"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: store.path)) == before)
        #expect(try failing.all().map(\.name) == ["bob"])
    }

    @Test func abandonedTemporaryFilesAreRemovedByTheNextWrite() throws {
        let (directory, store) = try Self.makeStore()
        defer { directory.remove() }
        try store.add(AccountFixtures.account("bob"))
        let abandoned = directory.path + "/data/.accounts.tmp-12345-abc"
        try Data("half".utf8).write(to: URL(fileURLWithPath: abandoned))
        try store.add(AccountFixtures.account("carol"))
        #expect(directory.files() == ["data/accounts", "data/accounts.lock"])
    }

    @Test func concurrentWritersLoseNothing() async throws {
        let (directory, store) = try Self.makeStore()
        defer { directory.remove() }
        let other = AccountStore(path: store.path)
        let count = 20
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                let writer = index.isMultiple(of: 2) ? store : other
                group.addTask { try? writer.add(AccountFixtures.account("user\(index)")) }
            }
        }
        #expect(try store.all().count == count)
        #expect(try other.all().count == count)
    }

    @Test func anUnreadableFileThrows() throws {
        let (directory, store) = try Self.makeStore()
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: store.path, withIntermediateDirectories: true)
        #expect(throws: FileSystemError.self) { try store.account(named: "bob") }
        #expect(throws: FileSystemError.self) { try store.add(AccountFixtures.account("bob")) }
    }
}
