package import NIOCore

/// One line read from a control connection, as ``ControlLineDecoder`` frames it.
package enum ControlLine: Sendable {
    /// A whole line, without its `\n`.
    case line(ByteBuffer)
    /// A line longer than the limit; its octets were dropped.
    case tooLong
}
