/// Why the control socket could not be set up.
package enum ControlServerError: Error, Hashable, CustomStringConvertible {
    /// The path does not fit in a Unix socket address.
    case pathTooLong(path: String, limit: Int)
    /// Something other than a socket is at the path; it is left alone.
    case notASocket(path: String)
    /// A system call on the socket's file failed.
    case system(operation: String, path: String, reason: String)

    package var description: String {
        switch self {
        case .pathTooLong(let path, let limit):
            "control socket path is longer than \(limit) octets: \(path)"
        case .notASocket(let path):
            "cannot create the control socket: \(path) exists and is not a socket"
        case .system(let operation, let path, let reason):
            "control socket: \(operation) \(path): \(reason)"
        }
    }
}
