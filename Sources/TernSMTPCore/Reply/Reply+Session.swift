/// Connection, greeting, EHLO/HELO, QUIT, shutdown and error-limit replies (docs/behaviour.md §1, §2, §8, §10).
extension Reply {
    /// `220 <host> ESMTP service ready`.
    public static func greeting(_ host: String) -> Reply {
        Reply(220, nil, "\(host) ESMTP service ready")
    }
    /// `521 <host> Machine does not accept mail`: greeting in no-mail mode (RFC 7504).
    public static func noMailGreeting(_ host: String) -> Reply {
        Reply(521, nil, "\(host) Machine does not accept mail")
    }
    /// `521 5.3.2 <host> Machine does not accept mail`: any command but QUIT in no-mail mode.
    public static func noMail(_ host: String) -> Reply {
        Reply(521, .permanent(.notAcceptingMessages), "\(host) Machine does not accept mail")
    }
    /// `421 4.3.2`: the server's connection limit is reached.
    public static func tooManyConnections(_ host: String) -> Reply {
        Reply(421, .persistentTransient(.notAcceptingMessages), "\(host) Too many connections, closing transmission channel")
    }
    /// `421 4.7.0`: the per-client connection limit is reached.
    public static func tooManyConnectionsFromClient(_ host: String) -> Reply {
        Reply(421, .persistentTransient(.otherSecurity),
              "\(host) Too many connections from your address, closing transmission channel")
    }
    /// `421 4.7.0`: too many protocol errors in this session.
    public static func tooManyErrors(_ host: String) -> Reply {
        Reply(421, .persistentTransient(.otherSecurity), "\(host) Too many errors, closing transmission channel")
    }
    /// `421 4.4.2`: the client was idle for too long.
    public static func idleTimeout(_ host: String) -> Reply {
        Reply(421, .persistentTransient(.badConnection), "\(host) Timeout exceeded, closing transmission channel")
    }
    /// `421 4.3.2`: the server is shutting down.
    public static func shuttingDown(_ host: String) -> Reply {
        Reply(421, .persistentTransient(.notAcceptingMessages), "\(host) Service not available, closing transmission channel")
    }
    /// `221 2.0.0 <host> Service closing transmission channel`.
    public static func closing(_ host: String) -> Reply {
        Reply(221, .success(.undefined), "\(host) Service closing transmission channel")
    }
    /// `250-<host> Hello <client>` followed by the extension keywords (no enhanced code, RFC 2034).
    public static func ehlo(_ host: String, client: String, keywords: [String]) -> Reply {
        Reply(250, nil, ["\(host) Hello \(ReplyText.echo(client, limit: 255))"] + keywords)
    }
    /// `250 <host> Hello <client>`.
    public static func helo(_ host: String, client: String) -> Reply {
        Reply(250, nil, "\(host) Hello \(ReplyText.echo(client, limit: 255))")
    }
    /// `501 5.5.4 Syntax: EHLO domain` (or HELO).
    public static func helloSyntax(_ verb: String) -> Reply {
        Reply(501, .permanent(.invalidArguments), "Syntax: \(verb) domain")
    }
    /// `250 2.0.0 OK`: NOOP.
    public static let ok = Reply(250, .success(.undefined), "OK")
    /// `250 2.0.0`: RSET.
    public static let resetOK = Reply(250, .success(.undefined), "Requested mail action okay, completed")
}
