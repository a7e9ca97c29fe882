#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The file of the control socket: only its owner may connect, a stale one is replaced, and
/// at stop it is removed unless another server has replaced it since.
///
/// The socket is bound inside a fresh 0700 directory next to `path`, made 0600 there, and only
/// then renamed into place, so no other user can connect while its mode is being set (a
/// process-wide umask would also change the modes of files other threads create meanwhile).
package struct ControlSocketFile {
    /// Where the socket is published.
    package let path: String

    /// Which file a published socket is, to recognise it at stop.
    package struct Identity: Hashable {
        let device: UInt64
        let inode: UInt64
    }

    /// The longest path a Unix socket address holds.
    package static let pathLimit = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    /// Checks that the socket can be published at `path`, and makes the directory to bind it in
    /// first; the socket's path there is no longer than `path` itself.
    package func makeStagingDirectory() throws -> String {
        guard path.utf8.count <= Self.pathLimit else {
            throw ControlServerError.pathTooLong(path: path, limit: Self.pathLimit)
        }
        if let existing = Self.status(path), existing.st_mode & S_IFMT != S_IFSOCK {
            throw ControlServerError.notASocket(path: path)
        }
        let parent = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        var template = Array((parent + "/.cXXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else { throw failure("create a directory beside", path) }
        return String(cString: created)
    }

    /// The path to bind the socket to inside `directory`.
    package static func stagedPath(in directory: String) -> String {
        directory + "/s"
    }

    /// Makes the socket bound in `directory` 0600 and moves it to `path`, replacing a stale
    /// socket there; removes `directory` in every case.
    package func publish(from directory: String) throws -> Identity {
        let staged = Self.stagedPath(in: directory)
        defer {
            unlink(staged)
            rmdir(directory)
        }
        guard chmod(staged, 0o600) == 0 else { throw failure("chmod", staged) }
        guard rename(staged, path) == 0 else { throw failure("rename to", path) }
        guard let published = Self.status(path) else { throw failure("stat", path) }
        return Identity(published)
    }

    /// Removes the staging directory of a socket that was never published.
    package static func discard(_ directory: String) {
        unlink(stagedPath(in: directory))
        rmdir(directory)
    }

    /// Removes the socket at `path` if it is still the one published as `identity`.
    package func remove(_ identity: Identity) {
        guard let current = Self.status(path), Identity(current) == identity else { return }
        unlink(path)
    }

    private static func status(_ path: String) -> stat? {
        var status = stat()
        return lstat(path, &status) == 0 ? status : nil
    }

    private func failure(_ operation: String, _ path: String) -> ControlServerError {
        .system(operation: operation, path: path, reason: String(cString: strerror(errno)))
    }
}

package extension ControlSocketFile.Identity {
    fileprivate init(_ status: stat) {
        self.init(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }
}
