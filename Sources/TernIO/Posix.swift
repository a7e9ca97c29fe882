#if canImport(Glibc)
package import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin throwing wrappers over the blocking system calls the spool and the couriers make.
/// Every one of them blocks, so callers run them on an `NIOThreadPool`.
package enum Posix {
    /// Flags for creating a new file that must not exist yet.
    package static let createExclusive: CInt = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC

    /// Runs a system call again while it fails with `EINTR`.
    package static func retryingInterrupts<Result: BinaryInteger>(_ call: () -> Result) -> Result {
        while true {
            let result = call()
            if result >= 0 || errno != EINTR { return result }
        }
    }

    /// `open(2)`; returns the descriptor.
    package static func open(_ path: String, _ flags: CInt, mode: mode_t = 0o600) throws -> CInt {
        #if canImport(Glibc)
        let descriptor = retryingInterrupts { Glibc.open(path, flags, mode) }
        #else
        let descriptor = retryingInterrupts { Darwin.open(path, flags, mode) }
        #endif
        guard descriptor >= 0 else { throw FileSystemError("open", path: path) }
        return descriptor
    }

    /// `close(2)`. Errors are ignored: by then the data was fsynced or is being thrown away.
    package static func close(_ descriptor: CInt) {
        #if canImport(Glibc)
        _ = Glibc.close(descriptor)
        #else
        _ = Darwin.close(descriptor)
        #endif
    }

    /// `pread(2)` into `buffer`; returns the number of bytes read, 0 at end of file.
    package static func read(
        _ descriptor: CInt, into buffer: UnsafeMutableRawBufferPointer, at offset: Int, path: String
    ) throws -> Int {
        let count = retryingInterrupts { pread(descriptor, buffer.baseAddress, buffer.count, off_t(offset)) }
        guard count >= 0 else { throw FileSystemError("read", path: path) }
        return count
    }

    /// Reads a whole small file, such as an envelope record.
    package static func readFile(_ path: String) throws -> [UInt8] {
        let descriptor = try open(path, O_RDONLY | O_CLOEXEC)
        defer { close(descriptor) }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = try chunk.withUnsafeMutableBytes {
                try read(descriptor, into: $0, at: contents.count, path: path)
            }
            if count == 0 { return contents }
            contents.append(contentsOf: chunk[0..<count])
        }
    }

    /// `unlink(2)`.
    package static func unlink(_ path: String) throws {
        #if canImport(Glibc)
        let result = Glibc.unlink(path)
        #else
        let result = Darwin.unlink(path)
        #endif
        guard result == 0 else { throw FileSystemError("unlink", path: path) }
    }

    /// `link(2)`: `destination` names the same file as `source`.
    package static func link(_ source: String, to destination: String) throws {
        #if canImport(Glibc)
        let result = Glibc.link(source, destination)
        #else
        let result = Darwin.link(source, destination)
        #endif
        guard result == 0 else { throw FileSystemError("link", path: "\(source) -> \(destination)") }
    }

    /// Cuts the file open as `descriptor` to `length` octets and moves its offset there, so
    /// writes continue after them (`ftruncate(2)`, `lseek(2)`).
    package static func truncate(_ descriptor: CInt, to length: Int, path: String) throws {
        try setLength(descriptor, to: length, path: path)
        guard lseek(descriptor, off_t(length), SEEK_SET) >= 0 else { throw FileSystemError("lseek", path: path) }
    }

    /// Makes the file open as `descriptor` exactly `length` octets long (`ftruncate(2)`); its
    /// offset stays where it is.
    package static func setLength(_ descriptor: CInt, to length: Int, path: String) throws {
        guard ftruncate(descriptor, off_t(length)) == 0 else { throw FileSystemError("ftruncate", path: path) }
    }

    /// `flock(2)` without waiting: true when the lock is taken, false when another open file
    /// holds one that conflicts. A lock lasts until the descriptor is closed.
    package static func tryLock(_ descriptor: CInt, exclusive: Bool, path: String) throws -> Bool {
        if retryingInterrupts({ flock(descriptor, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) }) == 0 { return true }
        if errno == EWOULDBLOCK { return false }
        throw FileSystemError("flock", path: path)
    }

    /// Whether `path` names the file open as `descriptor` (symbolic links not followed).
    package static func names(_ path: String, file descriptor: CInt) -> Bool {
        var open = stat()
        var named = stat()
        return fstat(descriptor, &open) == 0 && lstat(path, &named) == 0
            && open.st_dev == named.st_dev && open.st_ino == named.st_ino
    }

    /// `unlink(2)` for clean-up paths: a missing file or any other failure is not an error.
    package static func removeIfPresent(_ path: String) {
        try? unlink(path)
    }

    /// `mkdir(2)`; returns false when the directory already existed.
    @discardableResult
    package static func makeDirectory(_ path: String, mode: mode_t = 0o700) throws -> Bool {
        #if canImport(Glibc)
        let result = Glibc.mkdir(path, mode)
        #else
        let result = Darwin.mkdir(path, mode)
        #endif
        if result == 0 { return true }
        let code = errno
        if code == EEXIST, isDirectory(path) { return false }
        throw FileSystemError("mkdir", path: path, code: code)
    }

    /// The directory part of `path`: `/` for a name in the root, `.` for a bare name.
    package static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Whether `path` names a directory (symbolic links followed).
    package static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// The `lstat(2)` of `path`: a symbolic link is described, not followed. Needs no read
    /// permission on `path` itself, only search permission on the directories above it.
    package static func linkStatus(_ path: String) throws -> stat {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw FileSystemError("stat", path: path) }
        return info
    }

    /// The size of the open file, from `fstat(2)`.
    package static func fileSize(_ descriptor: CInt, path: String) throws -> Int {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw FileSystemError("stat", path: path) }
        return Int(info.st_size)
    }

    /// Whether anything exists at `path` (symbolic links not followed).
    package static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Opens the directory at `path` and fsyncs it through `operations`, so renames and
    /// unlinks in it are durable.
    package static func syncDirectory(_ path: String, operations: any FileOperations) throws {
        let descriptor = try open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { close(descriptor) }
        try operations.fsync(descriptor, path: path)
    }

    /// The names in a directory, without `.` and `..`.
    package static func listDirectory(_ path: String) throws -> [String] {
        guard let directory = opendir(path) else { throw FileSystemError("opendir", path: path) }
        defer { closedir(directory) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                if errno != 0 { throw FileSystemError("readdir", path: path) }
                return names
            }
            let name = withUnsafePointer(to: entry.pointee.d_name) { tuple in
                tuple.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: tuple.pointee)) {
                    String(cString: $0)
                }
            }
            if name != "." && name != ".." { names.append(name) }
        }
    }

    /// Bytes available to unprivileged users on the file system holding `path`.
    package static func availableSpace(_ path: String) throws -> Int {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { throw FileSystemError("statvfs", path: path) }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }

    /// The process id, for Maildir unique names.
    package static var processID: Int {
        Int(getpid())
    }
}
