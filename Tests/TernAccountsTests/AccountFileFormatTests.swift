import Foundation
import Testing
import TernAccounts
import TernSASL
import TernTestSupport

@Suite struct AccountFileFormatTests {
    private static let header = "# Tern accounts: managed by `tern user`, do not edit.\ntern-accounts 1\n"

    /// Writes `text` as the accounts file and reads it back.
    private static func read(_ text: String) throws -> [Account] {
        try read(Array(text.utf8))
    }

    private static func read(_ bytes: [UInt8]) throws -> [Account] {
        let directory = try TemporaryDirectory(prefix: "tern-accounts")
        defer { directory.remove() }
        let path = directory.path + "/accounts"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return try AccountStore(path: path).all()
    }

    @Test func theWrittenText() throws {
        let keys = try #require(SCRAMKeys(
            salt: Array("saltsaltsaltsalt".utf8), iterations: 4096,
            storedKey: [UInt8](repeating: 1, count: 32), serverKey: [UInt8](repeating: 2, count: 32)))
        let directory = try TemporaryDirectory(prefix: "tern-accounts")
        defer { directory.remove() }
        let store = AccountStore(path: directory.path + "/accounts")
        try store.add(try Account(
            name: "bob",
            credentials: StoredCredentials(legacy: LegacyHash(AccountFixtures.sha512Crypt)!, allowCRAMMD5: false, strongOnly: true)))
        try store.add(try Account(
            name: "alice",
            credentials: StoredCredentials(scram: keys, cramMD5Secret: Array("secret".utf8), allowCRAMMD5: true, strongOnly: false),
            addresses: ["alice@example.org", "sales@example.org"]))
        let crypt = Data(AccountFixtures.sha512Crypt.utf8).base64EncodedString()
        #expect(try String(contentsOfFile: store.path, encoding: .utf8) == Self.header + """
            alice scram=4096:c2FsdHNhbHRzYWx0c2FsdA==:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=:\
            AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI= cram-md5=c2VjcmV0 allow-cram-md5 \
            address=alice@example.org address=sales@example.org
            bob legacy=\(crypt) strong-only

            """)
    }

    @Test func commentsAndBlankLinesAreSkipped() throws {
        let legacy = Data("{SSHA256}".utf8 + Data([UInt8](repeating: 9, count: 36)).base64EncodedData()).base64EncodedString()
        let accounts = try Self.read("# a comment\n\ntern-accounts 1\n\n# another\nbob legacy=\(legacy)\n")
        #expect(accounts.map(\.name) == ["bob"])
        #expect(accounts.first?.credentials.legacy == .ssha256(digest: [UInt8](repeating: 9, count: 32), salt: [9, 9, 9, 9]))
    }

    @Test func anEmptyStoreKeepsItsHeader() throws {
        #expect(try Self.read(Self.header).isEmpty)
    }

    static let corruptCases: [(text: String, line: Int, reason: String)] = [
        ("", 1, "expected the header \"tern-accounts 1\""),
        ("tern-accounts 2\n", 1, "expected the header \"tern-accounts 1\""),
        ("# only a comment\nbob legacy=x\n", 2, "expected the header \"tern-accounts 1\""),
        (header + "bob\n", 3, "neither scram nor legacy credentials"),
        (header + "bob strong-only\n", 3, "neither scram nor legacy credentials"),
        (header + " legacy=e1NTSEEyNTZ9\n", 3, "missing user name"),
        (header + "bob legacy=e1NTSEEyNTZ9\n", 3, "bad legacy field"),
        (header + "bob legacy=!!!!\n", 3, "bad base64 in the legacy field"),
        (header + "bob scram=4096:AAAA:AAAA\n", 3, "bad scram field"),
        (header + "bob scram=0:c2FsdA==:" + String(repeating: "A", count: 43) + "=:" + String(repeating: "A", count: 43) + "=\n",
         3, "bad scram field"),
        (header + "bob scram=x:AA==:AA==:AA==\n", 3, "bad scram field"),
        (header + "bob cram-md5=c2VjcmV0 cram-md5=c2VjcmV0\n", 3, "field \"cram-md5\" given twice"),
        (header + "bob password=hunter2\n", 3, "unknown field \"password\""),
        (header + "bob strong-only=yes\n", 3, "unknown field \"strong-only\""),
        (header + "bob  strong-only\n", 3, "unknown field \"\""),
        (header + "Bad! legacy=e1NTSEEyNTZ9\n", 3, "bad legacy field"),
    ]

    @Test(arguments: corruptCases)
    func corruptFilesThrow(_ testCase: (text: String, line: Int, reason: String)) throws {
        do {
            _ = try Self.read(testCase.text)
            Issue.record("read a corrupt file")
        } catch let error as AccountStoreError {
            guard case .corrupt(_, let line, let reason) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(line == testCase.line)
            #expect(reason == testCase.reason)
        }
    }

    @Test func badNamesAndDuplicatesInTheFile() throws {
        let directory = try TemporaryDirectory(prefix: "tern-accounts")
        defer { directory.remove() }
        let store = AccountStore(path: directory.path + "/accounts")
        try store.add(AccountFixtures.account("bob"))
        let line = try String(contentsOfFile: store.path, encoding: .utf8).split(separator: "\n").last!
        for (text, number, reason) in [
            (Self.header + line + "\n" + line + "\n", 4, "user \"bob\" listed twice"),
            (Self.header + "b..ob" + line.dropFirst(3) + "\n", 3, AccountStoreError.invalidName("b..ob").description),
            (Self.header + line + " address=nobody\n", 3, AccountStoreError.invalidAddress("nobody").description),
        ] {
            #expect(throws: AccountStoreError.corrupt(path: store.path, line: number, reason: reason)) {
                try Data(text.utf8).write(to: URL(fileURLWithPath: store.path))
                _ = try store.all()
            }
        }
    }

    @Test func notUTF8() throws {
        #expect(throws: AccountStoreError.self) { try Self.read(Array(Self.header.utf8) + [0x62, 0xFF, 0x0A]) }
    }
}
