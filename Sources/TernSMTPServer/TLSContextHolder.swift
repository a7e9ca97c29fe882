import NIOConcurrencyHelpers
public import NIOSSL

/// The TLS context new handshakes use, replaceable while the server runs (certificate reload
/// on SIGHUP): sessions already in TLS keep the context they started with.
public final class TLSContextHolder: Sendable {
    private let box: NIOLockedValueBox<NIOSSLContext>

    public init(_ context: NIOSSLContext) {
        box = NIOLockedValueBox(context)
    }

    /// The context for the next handshake.
    public var context: NIOSSLContext { box.withLockedValue { $0 } }

    /// Uses `context` for every handshake from now on.
    public func replace(_ context: NIOSSLContext) {
        box.withLockedValue { $0 = context }
    }
}
