import Testing
import TernAccounts
import TernSASL

@Suite struct AccountTests {
    @Test(arguments: [
        "", "a b", "é", "bob!", ".bob", "bob.", "b..ob", "a/b", "a@b", "a\u{0}b", "tab\t", "ı",
        String(repeating: "a", count: 65),
    ])
    func badNamesAreRefused(_ name: String) {
        #expect(throws: AccountStoreError.invalidName(name)) {
            try Account(name: name, credentials: AccountFixtures.scram)
        }
    }

    @Test(arguments: ["a", "bob", "b.o_b-1", "0", String(repeating: "z", count: 64)])
    func goodNames(_ name: String) throws {
        #expect(try Account(name: name, credentials: AccountFixtures.scram).name == name)
    }

    @Test func namesAreLowerCased() throws {
        #expect(try Account(name: "Bob.SMITH", credentials: AccountFixtures.scram).name == "bob.smith")
    }

    @Test(arguments: ["bob", "bob@", "@example.org", "a b@example.org", "<bob@example.org>", "\"a b\"@example.org", ""])
    func badAddressesAreRefused(_ address: String) {
        #expect(throws: AccountStoreError.invalidAddress(address)) {
            try Account(name: "bob", credentials: AccountFixtures.scram, addresses: [address])
        }
    }

    @Test func addressesAreKeptOnceInOrder() throws {
        let account = try Account(
            name: "bob", credentials: AccountFixtures.scram,
            addresses: ["bob@example.org", "Sales@Example.NET", "BOB@example.org", "sales@example.net", "b@[192.0.2.1]"])
        #expect(account.addresses == ["bob@example.org", "Sales@Example.NET", "b@[192.0.2.1]"])
    }

    @Test func errorMessages() {
        #expect(AccountStoreError.exists("bob").description == "user \"bob\" exists")
        #expect(AccountStoreError.notFound("bob").description == "no user \"bob\"")
        #expect(AccountStoreError.corrupt(path: "/d/accounts", line: 3, reason: "bad scram field").description
            == "/d/accounts:3: bad scram field")
        #expect(AccountStoreError.invalidName("a\u{1B}[2J").description.hasPrefix("invalid user name \"a\\u{1B}[2J\""))
    }
}
