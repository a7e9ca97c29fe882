import NIOPosix
import TernAccounts
import TernSASL
import TernSMTPServer

/// AUTH's view of the account store; file access runs on the blocking thread pool.
struct AccountAuthenticator: CredentialStore {
    let store: AccountStore
    let threadPool: NIOThreadPool

    func credentials(for username: String) async throws -> StoredCredentials? {
        let store = store
        return try await threadPool.runIfActive {
            guard let name = try? Account.normalizedName(username) else { return nil }
            return try store.account(named: name)?.credentials
        }
    }

    func upgrade(_ username: String, from old: StoredCredentials, to new: StoredCredentials) async throws {
        let store = store
        _ = try await threadPool.runIfActive { try store.upgrade(named: username, from: old, to: new) }
    }

    /// The account itself, for sender ownership.
    func account(named name: String) async throws -> Account? {
        let store = store
        return try await threadPool.runIfActive { try store.account(named: name) }
    }
}
