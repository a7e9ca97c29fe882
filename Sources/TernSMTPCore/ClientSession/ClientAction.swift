public import NIOCore

/// What the transport must do next for a `ClientSession`, in order.
public enum ClientAction: Sendable, Equatable {
    /// Write these command lines (several when pipelining).
    case send(ByteBuffer)
    /// Flush, drop every octet received but not yet parsed, and start TLS; report with
    /// `ClientSession.tlsStarted()`, or `failed(.tlsHandshakeFailed)`.
    case startTLS
    /// Stream the text of the message with this id. DATA: the text through a `DotStuffer`,
    /// then its `finish()`. BDAT: the `BDAT <size> LAST` line has just been sent; write exactly
    /// `OutboundMessage.size` octets of the text as stored. A resumed DATA transfer (RFC 1845,
    /// the peer answered MAIL with 355) leaves out the first `resumeAt` octets of the stuffed
    /// stream; BDAT always sends everything (`resumeAt` is 0).
    case sendBody(messageID: String, useBDAT: Bool, resumeAt: Int)
    /// A message is done: hand its outcomes to the queue.
    case messageResult(MessageResult)
    /// Close the connection.
    case close
}
