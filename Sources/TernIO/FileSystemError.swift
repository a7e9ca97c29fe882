#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call on the spool or a mailbox: which call, on which path, and `errno`.
package struct FileSystemError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The system call, such as `"fsync"` or `"rename"`.
    package var operation: String
    /// The path the call was made on.
    package var path: String
    /// The `errno` value it failed with.
    package var code: CInt

    /// Creates an error; `code` defaults to the calling thread's current `errno`.
    package init(_ operation: String, path: String, code: CInt = errno) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    /// `"fsync /var/spool/tern/incoming: No space left on device"`.
    package var description: String {
        "\(operation) \(path): \(String(cString: strerror(code)))"
    }
}
