/// Why a request on the control socket got no answer, or was refused.
package enum ControlClientError: Error, Hashable, CustomStringConvertible {
    /// No server listens at the path: no socket file, or a stale one.
    case notRunning(path: String)
    /// The socket could not be reached for another reason (permissions, say).
    case unreachable(path: String, reason: String)
    /// The server did not answer in time.
    case timedOut(path: String, after: Duration)
    /// The server's answer was missing, cut short, too long or not what was asked for.
    case badAnswer(path: String, reason: String)
    /// The server did not carry out the request, and said why.
    case rejected(String)

    package var description: String {
        switch self {
        case .notRunning(let path):
            "tern is not running (no control socket at \(path))"
        case .unreachable(let path, let reason):
            "cannot connect to the control socket \(path): \(reason)"
        case .timedOut(let path, let after):
            "no answer on the control socket \(path) within \(after)"
        case .badAnswer(let path, let reason):
            "bad answer on the control socket \(path): \(reason)"
        case .rejected(let reason):
            reason
        }
    }
}
