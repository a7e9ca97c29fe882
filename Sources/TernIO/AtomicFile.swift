#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces a small file whole, durably: a temporary file in the same directory, written and
/// fsynced, renamed over the target, then the directory fsynced. A reader sees the old or the
/// new contents, never a mix, and after a crash the file is one of the two.
package enum AtomicFile {
    /// The prefix of temporary files for `path`: `.<name>.tmp-`, hidden and in the same
    /// directory, so the rename never crosses file systems.
    package static func temporaryPrefix(for path: String) -> String {
        "." + name(of: path) + ".tmp-"
    }

    /// Writes `bytes` to `path` with the permission bits `mode` (whatever the umask), owned by
    /// `owner` when given. The temporary file is removed on every error before the rename.
    package static func write(
        _ bytes: [UInt8], to path: String, mode: mode_t, owner: (uid: uid_t, gid: gid_t)? = nil,
        operations: any FileOperations
    ) throws {
        let directory = Posix.parentDirectory(of: path)
        var random = SystemRandomNumberGenerator()
        let suffix = String(random.next() as UInt64, radix: 16)
        let temporary = directory + "/" + temporaryPrefix(for: path) + "\(Posix.processID)-" + suffix
        let descriptor = try Posix.open(temporary, Posix.createExclusive | O_NOFOLLOW, mode: mode)
        do {
            defer { Posix.close(descriptor) }
            guard fchmod(descriptor, mode) == 0 else { throw FileSystemError("fchmod", path: temporary) }
            if let owner, fchown(descriptor, owner.uid, owner.gid) != 0 { throw FileSystemError("fchown", path: temporary) }
            try bytes.withUnsafeBytes { try operations.write(descriptor, $0, path: temporary) }
            try operations.fsync(descriptor, path: temporary)
        } catch {
            Posix.removeIfPresent(temporary)
            throw error
        }
        do {
            try operations.rename(temporary, to: path)
        } catch {
            Posix.removeIfPresent(temporary)
            throw error
        }
        try Posix.syncDirectory(directory, operations: operations)
    }

    private static func name(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}
