import NIOConcurrencyHelpers
import Foundation
import TernIO

/// The failure-injection seam for tests: file operations that count fsyncs of `incoming/` and fail the calls a test picks, with
/// `ENOSPC` or `EIO`.
package struct TestFileOperations: FileOperations {
    /// The calls a test can make fail.
    package enum Call: Hashable, Sendable {
        case write, fsync, rename
    }

    private let system = SystemFileOperations()
    private let failing: @Sendable (Call, String) -> Bool
    private let directorySyncs = NIOLockedValueBox(0)

    /// Operations that fail the calls for which `failing` returns true.
    package init(failing: @escaping @Sendable (Call, String) -> Bool = { _, _ in false }) {
        self.failing = failing
    }

    /// fsyncs of a path ending in `/incoming`.
    package var incomingSyncs: Int {
        directorySyncs.withLockedValue { $0 }
    }

    package func write(_ descriptor: CInt, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        try check(.write, path, code: ENOSPC)
        try system.write(descriptor, bytes, path: path)
    }

    package func fsync(_ descriptor: CInt, path: String) throws {
        try check(.fsync, path, code: EIO)
        if path.hasSuffix("/incoming") { directorySyncs.withLockedValue { $0 += 1 } }
        try system.fsync(descriptor, path: path)
    }

    package func rename(_ source: String, to destination: String) throws {
        try check(.rename, destination, code: EIO)
        try system.rename(source, to: destination)
    }

    private func check(_ call: Call, _ path: String, code: CInt) throws {
        if failing(call, path) { throw FileSystemError("\(call)", path: path, code: code) }
    }

    package func unlink(_ path: String) throws {
        try system.unlink(path)
    }
}
