#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TernSpool

/// An exclusive `flock(2)` on `<data_dir>/accounts.lock`, held around every read-modify-write
/// of the accounts file so that a `tern user` process and the server upgrading a legacy
/// account never lose each other's change. Readers take no lock: the file is replaced by
/// rename, so they see the old or the new version whole.
struct AccountFileLock: ~Copyable {
    private let descriptor: CInt

    /// Blocks until the lock on `path` (created 0600 if missing) is held.
    init(path: String) throws {
        let opened = try Posix.open(path, O_RDWR | O_CREAT | O_CLOEXEC, mode: 0o600)
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
