#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
package import NIOCore
import TernIO

/// A complete maildrop file opened for the pickup: its header, and its message text read in
/// chunks so that a large message is never held in memory. Every call blocks.
package final class MaildropMessage: Sendable {
    /// The file's name in the maildrop folder.
    package let name: String
    /// What `tern sendmail` recorded about the message.
    package let header: MaildropHeader
    /// The user who owns the file: who submitted it, unless that is root or the folder's owner.
    package let owner: UInt32
    /// The octets of message text (the file's size less the header's).
    package let textSize: Int
    private let path: String
    private let file: OpenFile
    private let textOffset: Int

    private static let readSize = 16 * 1024

    /// Opens `path` and reads the header, up to and including the blank line. A symbolic link
    /// is refused, and so is anything but a regular file with one link; a FIFO does not block
    /// the open.
    package init(path: String, name: String) throws {
        self.path = path
        self.name = name
        let file = OpenFile(descriptor: try Posix.open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK))
        self.file = file
        var info = stat()
        guard fstat(file.descriptor, &info) == 0 else { throw FileSystemError("stat", path: path) }
        guard info.st_mode & S_IFMT == S_IFREG, info.st_nlink == 1 else { throw MaildropError.notAPlainFile }
        owner = UInt32(info.st_uid)
        let fileSize = Int(info.st_size)
        var bytes: [UInt8] = []
        var searched = 0
        while true {
            var chunk = [UInt8](repeating: 0, count: Self.readSize)
            let count = try chunk.withUnsafeMutableBytes {
                try Posix.read(file.descriptor, into: $0, at: bytes.count, path: path)
            }
            guard count > 0 else { throw MaildropError.unterminatedHeader }
            bytes.append(contentsOf: chunk[0..<count])
            if let end = Self.blankLine(in: bytes, from: searched) {
                header = try MaildropHeader(decoding: bytes[...end])
                textOffset = end + 2
                textSize = max(0, fileSize - textOffset)
                return
            }
            guard bytes.count <= MaildropHeader.maximumSize else { throw MaildropError.headerTooLong }
            searched = bytes.count - 1
        }
    }

    /// Reads up to `maximum` octets of the message text starting at `offset` (0 is the first
    /// octet after the header); nil at the end of the text.
    package func readText(at offset: Int, maximum: Int = 64 * 1024) throws -> ByteBuffer? {
        var chunk = ByteBuffer()
        let count = try chunk.writeWithUnsafeMutableBytes(minimumWritableBytes: maximum) {
            try Posix.read(file.descriptor, into: UnsafeMutableRawBufferPointer(rebasing: $0.prefix(maximum)),
                           at: textOffset + offset, path: path)
        }
        return count == 0 ? nil : chunk
    }

    // The index of the LF that ends the last header line: the first of two LFs in a row.
    private static func blankLine(in bytes: [UInt8], from start: Int) -> Int? {
        let newline = UInt8(ascii: "\n")
        var index = max(start, 0)
        while index + 1 < bytes.count {
            if bytes[index] == newline && bytes[index + 1] == newline { return index }
            index += 1
        }
        return nil
    }
}
