#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
package import TernIO

/// The accounts of `<data_dir>/accounts` (docs/configuration.md `[auth]`, `tern user`), in the text format of
/// ``AccountFileFormat``, mode 0600.
///
/// Every call blocks on file I/O, so the server makes them from a thread pool. Lookups re-read
/// the file only when it changed since the last read (inode, size, times to the nanosecond),
/// so a running server sees `tern user` changes without a restart. Changes run under an
/// exclusive `flock` on `<data_dir>/accounts.lock` and replace the file atomically and durably
/// (temporary file, fsync, rename, fsync of the directory).
package final class AccountStore: Sendable {
    /// The accounts file.
    package let path: String
    private let lockPath: String
    private let operations: any FileOperations
    private let lock = NSLock()
    /// The accounts as last read or written, and which version of the file that was; `nil`
    /// version: there was no file. Guarded by `lock`.
    nonisolated(unsafe) private var cache: (version: AccountFileFingerprint?, accounts: [String: Account])?

    /// A store on the accounts file at `path`; nothing is read until the first call.
    /// The lock file is `path` + `.lock`.
    package convenience init(path: String) {
        self.init(path: path, operations: SystemFileOperations())
    }

    /// The store of a data directory: `<dataDirectory>/accounts`.
    package convenience init(dataDirectory: String) {
        self.init(path: dataDirectory + "/accounts")
    }

    /// A store whose writes, fsyncs and renames go through `operations` (tests inject failures).
    package init(path: String, operations: any FileOperations) {
        self.path = path
        self.lockPath = path + ".lock"
        self.operations = operations
    }

    /// The account called `name` (compared case-insensitively), or nil when there is none or
    /// `name` is not a valid account name.
    ///
    /// - Throws: when the file exists but cannot be read or is not in the accounts format
    ///   (the server answers 454 4.7.0).
    package func account(named name: String) throws -> Account? {
        guard let key = try? AccountName.normalized(name) else { return nil }
        return try current()[key]
    }

    /// Every account, sorted by name.
    ///
    /// - Throws: as ``account(named:)``.
    package func all() throws -> [Account] {
        try current().values.sorted { $0.name < $1.name }
    }

    /// Stores a new account.
    ///
    /// - Throws: ``AccountStoreError/exists(_:)`` when the name is taken; file system errors.
    package func add(_ account: Account) throws {
        try modify { accounts in
            guard accounts[account.name] == nil else { throw AccountStoreError.exists(account.name) }
            accounts[account.name] = account
        }
    }

    /// Replaces the stored account of the same name (a new password, or the SCRAM keys
    /// derived at a password transition).
    ///
    /// - Throws: ``AccountStoreError/notFound(_:)`` when there is no such account; file system
    ///   errors.
    package func replace(_ account: Account) throws {
        try modify { accounts in
            guard accounts[account.name] != nil else { throw AccountStoreError.notFound(account.name) }
            accounts[account.name] = account
        }
    }

    /// Deletes the account called `name` (compared case-insensitively).
    ///
    /// - Throws: ``AccountStoreError/notFound(_:)`` when there is no such account (or `name` is
    ///   not a valid name); file system errors.
    package func remove(named name: String) throws {
        guard let key = try? AccountName.normalized(name) else { throw AccountStoreError.notFound(name) }
        try modify { accounts in
            guard accounts.removeValue(forKey: key) != nil else { throw AccountStoreError.notFound(key) }
        }
    }

    /// The accounts, from the cache when the file has not changed since it was filled.
    private func current() throws -> [String: Account] {
        lock.lock()
        defer { lock.unlock() }
        var info = stat()
        let version: AccountFileFingerprint?
        if stat(path, &info) == 0 {
            version = AccountFileFingerprint(info)
        } else if errno == ENOENT {
            version = nil
        } else {
            throw FileSystemError("stat", path: path)
        }
        if let cache, cache.version == version { return cache.accounts }
        let read = try readFile()
        cache = read
        return read.accounts
    }

    /// Reads the file: no file is no accounts.
    private func readFile() throws -> (version: AccountFileFingerprint?, accounts: [String: Account]) {
        let descriptor: CInt
        do {
            descriptor = try Posix.open(path, O_RDONLY | O_CLOEXEC)
        } catch let error as FileSystemError where error.code == ENOENT {
            return (nil, [:])
        }
        defer { Posix.close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw FileSystemError("fstat", path: path) }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = try chunk.withUnsafeMutableBytes {
                try Posix.read(descriptor, into: $0, at: contents.count, path: path)
            }
            if count == 0 { break }
            contents.append(contentsOf: chunk[0..<count])
        }
        let accounts = try AccountFileFormat.decode(contents, path: path)
        return (AccountFileFingerprint(info), Dictionary(uniqueKeysWithValues: accounts.map { ($0.name, $0) }))
    }

    /// Read, change and write the accounts under the lock file; the data directory is created
    /// (0700) when missing. Run as root (`tern user` usually is), the files are given to the
    /// owner of the data directory, so that a server running as that user can read them.
    package func modify(_ change: (inout [String: Account]) throws -> Void) throws {
        let directory = Posix.parentDirectory(of: path)
        let folder = try DirectoryHandle.make(directory, operations: operations)
        let owner = geteuid() == 0 ? try folder.owner() : nil
        let fileLock = try AccountFileLock(path: lockPath, owner: owner)
        removeAbandonedTemporaryFiles(in: directory)
        var accounts = try readFile().accounts
        try change(&accounts)
        try DurableFile.replace(
            path, with: AccountFileFormat.encode(Array(accounts.values)), mode: 0o600, owner: owner, operations: operations)
        _ = consume fileLock
        lock.withLock { cache = nil }
    }

    /// Temporary files of writers that died before their rename: while the lock is held, no
    /// other writer has one.
    private func removeAbandonedTemporaryFiles(in directory: String) {
        let prefix = DurableFile.temporaryPrefix(for: path)
        for name in (try? Posix.listDirectory(directory)) ?? [] where name.hasPrefix(prefix) {
            Posix.removeIfPresent(directory + "/" + name)
        }
    }
}
