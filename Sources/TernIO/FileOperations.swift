#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The calls durability depends on, behind a protocol so tests can make them fail (a full disk,
/// a failing fsync) and check that nothing is left behind. Everything else goes to `Posix`.
package protocol FileOperations: Sendable {
    /// Writes every byte of `bytes` to `descriptor`, which was opened on `path`.
    func write(_ descriptor: CInt, _ bytes: UnsafeRawBufferPointer, path: String) throws
    /// Flushes `descriptor` (a file or a directory opened on `path`) to stable storage.
    func fsync(_ descriptor: CInt, path: String) throws
    /// Renames `source` to `destination`, replacing it atomically.
    func rename(_ source: String, to destination: String) throws
    /// Removes the name `path` (the step that takes a finished message out of the queue).
    func unlink(_ path: String) throws
}

/// The real system calls.
package struct SystemFileOperations: FileOperations {
    package init() {}

    package func write(_ descriptor: CInt, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Posix.retryingInterrupts {
                #if canImport(Glibc)
                Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                #else
                Darwin.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                #endif
            }
            guard written >= 0 else { throw FileSystemError("write", path: path) }
            offset += written
        }
    }

    package func fsync(_ descriptor: CInt, path: String) throws {
        #if canImport(Glibc)
        let result = Posix.retryingInterrupts { Glibc.fsync(descriptor) }
        #else
        let result = Posix.retryingInterrupts { Darwin.fsync(descriptor) }
        #endif
        guard result == 0 else { throw FileSystemError("fsync", path: path) }
    }

    package func rename(_ source: String, to destination: String) throws {
        #if canImport(Glibc)
        let result = Glibc.rename(source, destination)
        #else
        let result = Darwin.rename(source, destination)
        #endif
        guard result == 0 else {
            let code = errno
            throw FileSystemError("rename", path: "\(source) -> \(destination)", code: code)
        }
    }

    package func unlink(_ path: String) throws {
        try Posix.unlink(path)
    }
}
