#if canImport(Glibc)
package import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file written under a temporary name and given its final name only once its contents are
/// on disk: write, fsync, rename, then fsync the directory. A reader sees the final name with
/// complete contents or not at all, and after a crash the name holds the old or the new file.
///
/// The one place of that sequence for the spool, the Maildir courier, the maildrop and the
/// account file (docs/architecture.md). Every call goes through `FileOperations`, so tests can
/// fail any step; every failure removes the temporary file. Calls block: run them on the
/// thread pool (`NIOThreadPool.runBlocking`).
package struct DurableFile: Sendable {
    /// Where the contents are written until `publish(as:)`.
    package let temporaryPath: String
    /// The open file.
    package let descriptor: CInt
    private let operations: any FileOperations

    /// Creates the temporary file at `temporaryPath`: exclusively by default, or replacing a
    /// leftover of an earlier crash with `replacingLeftover`.
    package init(
        creating temporaryPath: String, mode: mode_t = 0o600, replacingLeftover: Bool = false,
        operations: any FileOperations
    ) throws {
        let flags = replacingLeftover ? O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC : Posix.createExclusive | O_NOFOLLOW
        self.temporaryPath = temporaryPath
        self.descriptor = try Posix.open(temporaryPath, flags, mode: mode)
        self.operations = operations
    }

    /// Appends every byte of `bytes`.
    package func write(_ bytes: UnsafeRawBufferPointer) throws {
        try operations.write(descriptor, bytes, path: temporaryPath)
    }

    /// Appends every byte of `bytes`.
    package func write(_ bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { return }
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Flushes what is written to stable storage.
    package func sync() throws {
        try operations.fsync(descriptor, path: temporaryPath)
    }

    /// Syncs and closes the file and renames it to `path`. The caller syncs the directory
    /// (`Posix.syncDirectory`, or a group commit) before it tells anyone the file exists. On
    /// failure the temporary file is gone and `path` untouched.
    package func publish(as path: String) throws {
        do {
            defer { Posix.close(descriptor) }
            try sync()
        } catch {
            Posix.removeIfPresent(temporaryPath)
            throw error
        }
        do {
            try operations.rename(temporaryPath, to: path)
        } catch {
            Posix.removeIfPresent(temporaryPath)
            throw error
        }
    }

    /// Closes and removes the temporary file. Never throws.
    package func discard() {
        Posix.close(descriptor)
        Posix.removeIfPresent(temporaryPath)
    }

    /// Replaces the file at `path` whole with `bytes`, durably, directory included unless
    /// `syncingDirectory` is false (the caller syncs it, e.g. in a group commit). The temporary
    /// file is `temporaryPath`, or `.<name>.tmp-<pid>-<random>` beside `path`
    /// (`temporaryPrefix(for:)`), hidden and in the same directory, so the rename never crosses
    /// file systems. `mode` applies whatever the umask; `owner`, when given, owns the file.
    package static func replace(
        _ path: String, with bytes: [UInt8], temporaryPath: String? = nil, mode: mode_t = 0o600,
        owner: (uid: uid_t, gid: gid_t)? = nil, syncingDirectory: Bool = true, operations: any FileOperations
    ) throws {
        let directory = Posix.parentDirectory(of: path)
        let file: DurableFile
        if let temporaryPath {
            file = try DurableFile(creating: temporaryPath, mode: mode, replacingLeftover: true, operations: operations)
        } else {
            var random = SystemRandomNumberGenerator()
            let name = temporaryPrefix(for: path) + "\(Posix.processID)-" + String(random.next() as UInt64, radix: 16)
            file = try DurableFile(creating: directory + "/" + name, mode: mode, operations: operations)
        }
        do {
            guard fchmod(file.descriptor, mode) == 0 else { throw FileSystemError("fchmod", path: file.temporaryPath) }
            if let owner, fchown(file.descriptor, owner.uid, owner.gid) != 0 {
                throw FileSystemError("fchown", path: file.temporaryPath)
            }
            try file.write(bytes)
        } catch {
            file.discard()
            throw error
        }
        try file.publish(as: path)
        if syncingDirectory { try Posix.syncDirectory(directory, operations: operations) }
    }

    /// The prefix of `replace`'s temporary files for `path`: `.<name>.tmp-`.
    package static func temporaryPrefix(for path: String) -> String {
        let name = path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
        return "." + name + ".tmp-"
    }
}
