#if canImport(Glibc)
package import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open directory, for changes that must reach the directory itself and never what a
/// symbolic link swapped in by whoever owns the parent points to: ownership and mode are
/// changed through the descriptor (`fchown`, `fchmod`), and subdirectories are created and
/// opened relative to it without following a link (`mkdirat`, `openat` with `O_NOFOLLOW`).
/// Every call blocks.
package final class DirectoryHandle {
    /// The path it was opened at, for error messages.
    package let path: String
    private let descriptor: CInt

    /// Opens the directory at `path`; a symbolic link as its last component is refused (`ELOOP`).
    package init(path: String) throws {
        self.path = path
        descriptor = try Posix.open(path, Self.flags)
    }

    private init(path: String, descriptor: CInt) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit {
        Posix.close(descriptor)
    }

    private static let flags: CInt = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC

    /// Opens `path`, creating it and every missing directory above it (mode 0700, each made
    /// durable in its parent). When the process runs as root, each directory it creates is
    /// given to the owner and group of the directory it was created in.
    package static func make(_ path: String, operations: any FileOperations) throws -> DirectoryHandle {
        do {
            return try DirectoryHandle(path: path)
        } catch let error as FileSystemError where error.code == ENOENT {
            let parentPath = Posix.parentDirectory(of: path)
            let name = path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
            guard !name.isEmpty, parentPath != path else { throw error }
            return try make(parentPath, operations: operations).subdirectory(name, operations: operations)
        }
    }

    /// The subdirectory `name`, created (mode 0700) if missing and then made durable here;
    /// when the process runs as root, a directory it creates gets this one's owner and group.
    package func subdirectory(_ name: String, operations: any FileOperations) throws -> DirectoryHandle {
        let childPath = path == "/" ? "/" + name : path + "/" + name
        let created = mkdirat(descriptor, name, 0o700) == 0
        if !created && errno != EEXIST { throw FileSystemError("mkdir", path: childPath) }
        let opened = Posix.retryingInterrupts { openat(descriptor, name, Self.flags) }
        guard opened >= 0 else { throw FileSystemError("open", path: childPath) }
        let child = DirectoryHandle(path: childPath, descriptor: opened)
        if created {
            if geteuid() == 0 {
                let (uid, gid) = try owner()
                try child.changeOwner(uid, gid)
            }
            try operations.fsync(descriptor, path: path)
        }
        return child
    }

    /// The owner and group.
    package func owner() throws -> (uid: uid_t, gid: gid_t) {
        let info = try status()
        return (info.st_uid, info.st_gid)
    }

    /// The permission bits (with set-id and sticky bits).
    package func mode() throws -> mode_t {
        try status().st_mode & 0o7777
    }

    /// Gives the directory to `uid` and `gid` (a no-op when it already has them).
    package func changeOwner(_ uid: uid_t, _ gid: gid_t) throws {
        let (currentUID, currentGID) = try owner()
        guard currentUID != uid || currentGID != gid else { return }
        guard fchown(descriptor, uid, gid) == 0 else { throw FileSystemError("chown", path: path) }
    }

    /// Sets the permission bits to `mode`, whatever the umask.
    package func changeMode(_ mode: mode_t) throws {
        guard fchmod(descriptor, mode) == 0 else { throw FileSystemError("chmod", path: path) }
    }

    private func status() throws -> stat {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw FileSystemError("stat", path: path) }
        return info
    }
}
