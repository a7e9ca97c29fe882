#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TernIO
import TernMessage
import TernSMTPCore

/// The files of one committed message in `incoming/`, in either of two layouts
/// (docs/architecture.md "One file per message"):
///
/// - **One file**, `<id>.msg`: the text as received, then its envelope record, then a 16-octet
///   trailer, `TERN-MSG` and the record's length as 8 hexadecimal digits. Written once, by a
///   commit: one file created, written, fsynced and renamed in. An update writes `<id>.env`
///   beside it, which from then on is the envelope.
/// - **Two files**, `<id>.body` and `<id>.env`: a checkpointed message, whose text is linked in
///   from `partial/`, and spools written by earlier versions.
///
/// Removal unlinks the text first and the envelope last, so a removal cut short leaves only
/// an envelope whose recipients are all final (`FileSpool.recover()` deletes it).
enum MessageFiles {
    static let trailerSize = 16
    private static let magic = Array("TERN-MSG".utf8)

    /// The octets after the text of a one-file message: its record and the trailer.
    static func tail(record: [UInt8]) -> [UInt8] {
        let digits = Array(String(record.count, radix: 16).utf8)
        precondition(digits.count <= 8, "an envelope record under 4 GiB")
        return record + magic + Array(repeating: UInt8(ascii: "0"), count: 8 - digits.count) + digits
    }

    /// Where the text of `id` is: an open descriptor and how many of its octets are text.
    /// Throws `SpoolError.unknownMessage` when the message has no text.
    static func openText(_ id: QueueID, paths: SpoolPaths) throws -> (file: OpenFile, path: String, length: Int) {
        do {
            let file = OpenFile(descriptor: try openMessage(paths.message(id)))
            let layout = try layout(of: file.descriptor, path: paths.message(id))
            return (file, paths.message(id), layout.textLength)
        } catch let error as FileSystemError where error.code == ENOENT {}
        do {
            return (OpenFile(descriptor: try Posix.open(paths.body(id), O_RDONLY | O_CLOEXEC)), paths.body(id), .max)
        } catch let error as FileSystemError where error.code == ENOENT {
            throw SpoolError.unknownMessage(id)
        }
    }

    /// The envelope of `id`: `<id>.env` when there is one, else the record in `<id>.msg`.
    /// `SpoolError.unknownMessage` when neither exists.
    static func readEnvelope(_ id: QueueID, paths: SpoolPaths) -> Result<Envelope, any Error> {
        do {
            let bytes: [UInt8]
            do {
                bytes = try Posix.readFile(paths.envelope(id))
            } catch let error as FileSystemError where error.code == ENOENT {
                bytes = try record(in: paths.message(id))
            }
            let envelope = try EnvelopeRecord.decode(bytes)
            guard envelope.id == id else { throw EnvelopeRecordError.badField(line: 2, key: "id") }
            return .success(envelope)
        } catch let error as FileSystemError where error.code == ENOENT {
            return .failure(SpoolError.unknownMessage(id))
        } catch {
            return .failure(error)
        }
    }

    /// Whether `id` has a text in `incoming/`.
    static func hasText(_ id: QueueID, paths: SpoolPaths) -> Bool {
        Posix.exists(paths.message(id)) || Posix.exists(paths.body(id))
    }

    /// The names of every file of `id` in `incoming/`, text first.
    static func names(of id: QueueID, paths: SpoolPaths) -> [String] {
        ["msg", "body", "env"].map { "\(id).\($0)" }.filter { Posix.exists("\(paths.incoming)/\($0)") }
    }

    /// The record stored in the one-file message at `path`.
    private static func record(in path: String) throws -> [UInt8] {
        let descriptor = try openMessage(path)
        defer { Posix.close(descriptor) }
        let layout = try layout(of: descriptor, path: path)
        var record = [UInt8](repeating: 0, count: layout.recordLength)
        let count = try record.withUnsafeMutableBytes {
            try Posix.read(descriptor, into: $0, at: layout.textLength, path: path)
        }
        guard count == layout.recordLength else { throw SpoolError.damagedMessage(path) }
        return record
    }

    /// Opens the one-file message at `path` for reading with a shared lock, held until it is
    /// closed, so that the file is not written over as a spare meanwhile (`SpareFiles`). Throws
    /// `ENOENT` when the file is gone, or is a spare a writer has (or had) since it was opened.
    private static func openMessage(_ path: String) throws -> CInt {
        let descriptor = try Posix.open(path, O_RDONLY | O_CLOEXEC)
        // Locked first, then checked: a spare taken before the lock has left `path` by now.
        guard (try? Posix.tryLock(descriptor, exclusive: false, path: path)) == true,
            Posix.names(path, file: descriptor)
        else {
            Posix.close(descriptor)
            throw FileSystemError("open", path: path, code: ENOENT)
        }
        return descriptor
    }

    /// The text and record lengths of the one-file message open as `descriptor`, from its trailer.
    private static func layout(of descriptor: CInt, path: String) throws -> (textLength: Int, recordLength: Int) {
        let size = try Posix.fileSize(descriptor, path: path)
        var trailer = [UInt8](repeating: 0, count: trailerSize)
        guard size >= trailerSize,
            try trailer.withUnsafeMutableBytes({ try Posix.read(descriptor, into: $0, at: size - trailerSize, path: path) })
                == trailerSize,
            Array(trailer.prefix(magic.count)) == magic,
            let recordLength = Int(String(decoding: trailer.suffix(8), as: UTF8.self), radix: 16),
            recordLength <= size - trailerSize
        else { throw SpoolError.damagedMessage(path) }
        return (size - trailerSize - recordLength, recordLength)
    }
}
