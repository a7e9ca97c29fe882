#if canImport(Glibc)
package import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TernIO

/// An exclusive `flock(2)` on `<data_dir>/accounts.lock`, held around every read-modify-write
/// of the accounts file so that a `tern user` process and the server upgrading a legacy
/// account never lose each other's change. Readers take no lock: the file is replaced by
/// rename, so they see the old or the new version whole.
package struct AccountFileLock: ~Copyable {
    private let descriptor: CInt

    /// Blocks until the lock on `path` (created 0600 if missing, and given to `owner` when
    /// set) is held. A symbolic link at `path` is refused: whoever owns the data directory
    /// must not get root to create or open a file elsewhere.
    package init(path: String, owner: (uid: uid_t, gid: gid_t)? = nil) throws {
        let opened = try Posix.open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode: 0o600)
        if let owner, fchown(opened, owner.uid, owner.gid) != 0 {
            let error = FileSystemError("chown", path: path)
            Posix.close(opened)
            throw error
        }
        guard Posix.retryingInterrupts({ flock(opened, LOCK_EX) }) == 0 else {
            let error = FileSystemError("flock", path: path)
            Posix.close(opened)
            throw error
        }
        descriptor = opened
    }

    /// Releases the lock: closing the descriptor drops it.
    deinit {
        Posix.close(descriptor)
    }
}
