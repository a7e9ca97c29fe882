public import NIOCore

/// The work an ATRN starts: on the turned connection the server's owner acts as the SMTP
/// client and hands over the held mail (RFC 2645 §4, docs/behaviour.md §15). The server closes the
/// connection when `run` returns.
public protocol ConnectionReversal: Sendable {
    /// Drives the SMTP client side of `connection` until done or the connection breaks.
    func run(on connection: inout ReversedConnection) async
    /// The 250 could not be sent: the connection is gone before the turn; release what was
    /// reserved for it.
    func abandon() async
}

/// A connection that ATRN turned around: what the customer sends from now on are SMTP replies.
///
/// Used in the connection's own task only (its input iterator must not cross tasks).
public struct ReversedConnection {
    /// The channel, to close it when a wait runs out.
    public let channel: any Channel
    /// Writes to the customer (through TLS when STARTTLS was done).
    public let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    /// Octets the customer sent before the turn that were not part of a command: the start
    /// of its output.
    public var early: ByteBuffer
    /// The customer's octets from now on, ending when the connection closes or the server
    /// shuts down.
    public var input: Input

    /// The customer's octets; iterate it once.
    public struct Input: AsyncSequence, AsyncIteratorProtocol {
        public typealias Element = ByteBuffer
        var events: NIOAsyncChannelInboundStream<ConnectionEvent>.AsyncIterator

        public mutating func next() async throws -> ByteBuffer? {
            while let event = try await events.next() {
                switch event {
                case .bytes(let bytes): return bytes
                // The client's own deadline bounds each wait.
                case .idleTimeout, .tlsStarted, .tlsEstablished: continue
                case .shutdown: return nil
                }
            }
            return nil
        }

        public func makeAsyncIterator() -> Input { self }
    }
}
