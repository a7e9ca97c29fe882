import Foundation
import NIOCore

/// A listener that could not be opened, named by its address and what it was for: the SMTP
/// listeners of `[[listen]]` and the `[metrics]` listener (`tern serve` prints it and exits 1).
struct ListenError: Error, CustomStringConvertible {
    /// The address as configured, `127.0.0.1:25`.
    var address: String
    /// What the listener was for: `[[listen]] role mx`, `[metrics] address`.
    var purpose: String
    /// Why the socket could not be bound: the system's reason (`Address already in use`).
    var reason: String

    var description: String { "cannot listen on \(address) (\(purpose)): \(reason)" }

    /// Runs `bind`, which listens on `host`:`port`; a failure becomes a `ListenError` naming
    /// the address (an IPv6 host in brackets) and `purpose`.
    static func naming<Listener>(
        host: String, port: Int, _ purpose: String, _ bind: () async throws -> Listener
    ) async throws -> Listener {
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        do {
            return try await bind()
        } catch let error as IOError {
            throw ListenError(address: address, purpose: purpose, reason: String(cString: strerror(error.errnoCode)))
        } catch {
            throw ListenError(address: address, purpose: purpose, reason: "\(error)")
        }
    }
}
