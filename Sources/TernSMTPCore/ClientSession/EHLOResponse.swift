/// A positive reply to EHLO or LHLO: the peer's name and what it supports.
///
///     ehlo-ok-rsp = ( "250" SP Domain [ SP ehlo-greet ] CRLF )
///                 / ( "250-" Domain [ SP ehlo-greet ] CRLF
///                     *( "250-" ehlo-line CRLF ) "250" SP ehlo-line CRLF )
///
/// SeeAlso: RFC 5321 §4.1.1.1, RFC 2033 §4.1 (LHLO).
public struct EHLOResponse: Hashable, Sendable {
    /// The name the peer gave for itself: the first word of the first line.
    public var domain: String
    /// The extensions in the keyword lines.
    public var capabilities: PeerCapabilities

    /// Reads the reply's lines; the caller has checked it is positive.
    public init(_ reply: Reply) {
        domain = String(reply.lines[0].prefix { $0 != " " })
        capabilities = PeerCapabilities(keywordLines: reply.lines.dropFirst())
    }
}
