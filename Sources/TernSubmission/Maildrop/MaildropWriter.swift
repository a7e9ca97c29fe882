#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOConcurrencyHelpers
package import TernIO
import TernMessage
package import TernSMTPCore

/// Writes one maildrop file so that it is never half visible: the header and the message text
/// go to `.tmp-<id>` (exclusive, mode 0600 unless `Maildrop` says otherwise) in the maildrop folder
/// as they come; `commit()`
/// fsyncs the file, renames it to `<id>.drop` and fsyncs the folder. Until then the pickup
/// does not see it, and `abort()` (or dropping the writer) removes it.
///
/// Every call blocks; the text is written as it is appended, never gathered in memory.
package final class MaildropWriter: Sendable {
    private struct State {
        var file: DurableFile?
        var size = 0
    }

    /// The id that names the file, and so the queue id `tern sendmail -bs` reports.
    package let id: QueueID
    private let directory: String
    private let operations: any FileOperations
    private let state: NIOLockedValueBox<State>

    /// Creates `.tmp-<id>` in `directory` and writes `header` into it.
    package init(directory: String, header: MaildropHeader, operations: any FileOperations) throws {
        self.directory = directory
        self.operations = operations
        var id = QueueID()
        var file: DurableFile
        while true {
            do {
                file = try DurableFile(creating: Self.temporaryPath(directory, id), operations: operations)
                break
            } catch let error as FileSystemError where error.code == EEXIST {
                id = QueueID()
            }
        }
        self.id = id
        state = NIOLockedValueBox(State(file: file))
        do {
            try Maildrop.handOver(file.descriptor, in: directory, path: file.temporaryPath)
            try file.write(header.encoded())
        } catch {
            abort()
            throw error
        }
    }

    deinit {
        abort()
    }

    /// The path of the unfinished file.
    package var temporaryPath: String { Self.temporaryPath(directory, id) }
    /// The path the file has once committed.
    package var finalPath: String { "\(directory)/\(id).\(Maildrop.fileExtension)" }

    /// Octets of message text appended so far (the header not counted).
    package var size: Int {
        state.withLockedValue { $0.size }
    }

    /// Writes the next part of the message text. On failure the file is removed.
    package func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard !bytes.isEmpty else { return }
        guard let file = state.withLockedValue({ $0.file }) else { throw MaildropWriterFinished() }
        do {
            try file.write(bytes)
        } catch {
            abort()
            throw error
        }
        state.withLockedValue { $0.size += bytes.count }
    }

    /// Writes the next part of the message text. On failure the file is removed.
    package func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try append($0) }
    }

    /// Makes the file durable and visible to the pickup under `<id>.drop`. On failure nothing
    /// is left behind.
    package func commit() throws {
        guard let file = state.withLockedValue({ state in
            defer { state.file = nil }
            return state.file
        })
        else { throw MaildropWriterFinished() }
        try file.publish(as: finalPath)
        do {
            try syncFolder()
        } catch {
            Posix.removeIfPresent(finalPath)
            throw error
        }
    }

    /// Makes the rename durable: the folder is fsynced, or, for a local user who may not open
    /// it (mode 1733, see `Maildrop`), every file system is synced (`sync(2)`, which Linux
    /// returns from only once written), the rename with it. Ordinary users' submissions are
    /// rare enough for the cost.
    private func syncFolder() throws {
        do {
            try Posix.syncDirectory(directory, operations: operations)
        } catch let error as FileSystemError where error.code == EACCES {
            sync()
        }
    }

    /// Removes the unfinished file. Never throws; a no-op after `commit()`.
    package func abort() {
        state.withLockedValue { state in
            defer { state.file = nil }
            return state.file
        }?.discard()
    }

    private static func temporaryPath(_ directory: String, _ id: QueueID) -> String {
        "\(directory)/\(Maildrop.temporaryPrefix)\(id)"
    }
}

/// A `MaildropWriter` was used after `commit()` or `abort()`, or after a failed write.
package struct MaildropWriterFinished: Error, Hashable, Sendable, CustomStringConvertible {
    /// The error.
    package init() {}

    /// A short explanation for logs.
    package var description: String { "maildrop file already finished" }
}
