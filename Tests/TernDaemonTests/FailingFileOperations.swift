import Foundation
import TernSpool

/// The real file operations, except that the ones a test picks fail with `EIO`.
struct FailingFileOperations: SpoolFileOperations {
    enum Call: Sendable {
        case write, fsync, rename
    }

    let failing: Call
    private let system = SystemFileOperations()

    func write(_ descriptor: CInt, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        if failing == .write { throw FileSystemError("write", path: path, code: EIO) }
        try system.write(descriptor, bytes, path: path)
    }

    func fsync(_ descriptor: CInt, path: String) throws {
        if failing == .fsync { throw FileSystemError("fsync", path: path, code: EIO) }
        try system.fsync(descriptor, path: path)
    }

    func rename(_ source: String, to destination: String) throws {
        if failing == .rename { throw FileSystemError("rename", path: destination, code: EIO) }
        try system.rename(source, to: destination)
    }

    func unlink(_ path: String) throws {
        try system.unlink(path)
    }
}
