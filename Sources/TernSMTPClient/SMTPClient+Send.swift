#if canImport(Glibc)
import Glibc
#endif
public import Logging
public import NIOCore
public import NIOPosix
public import NIOSSL
public import TernSMTPCore

extension SMTPClient {
    /// Where ``send(_:from:to:via:group:logger:)-(String,_,_,_,_,_)`` hands a message: a relay or a recipient's
    /// mail exchanger, and how to talk to it.
    public struct Server: Sendable {
        /// The host: a name the system resolver looks up, or an IP address.
        public var host: String
        /// The port: 25 for a mail exchanger, 587 for submission.
        public var port: Int
        /// Whether and how STARTTLS is used.
        public var tls: TLSPolicy
        /// What to authenticate with when the server offers AUTH (RFC 4954); nil for no AUTH.
        /// Only inside TLS unless the credentials allow clear text.
        public var credentials: ClientCredentials?
        /// The name this side gives in EHLO (RFC 5321 §4.1.1.1); by default the system's host name.
        public var clientName: String
        /// The longest wait for the connection, for each reply and for room to write.
        public var timeout: Duration

        /// A server to send to.
        public init(
            host: String, port: Int = 25, tls: TLSPolicy = .opportunistic, credentials: ClientCredentials? = nil,
            clientName: String = Server.systemHostName, timeout: Duration = .seconds(60)
        ) {
            self.host = host
            self.port = port
            self.tls = tls
            self.credentials = credentials
            self.clientName = clientName
            self.timeout = timeout
        }

        /// The system's host name, or `localhost` when it can't be read.
        public static var systemHostName: String {
            var name = [CChar](repeating: 0, count: 256)
            guard gethostname(&name, name.count - 1) == 0 else { return "localhost" }
            let text = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return text.isEmpty ? "localhost" : text
        }
    }

    /// Whether and how a client uses STARTTLS (RFC 3207).
    public enum TLSPolicy: Sendable {
        /// Plain text only, STARTTLS never used.
        case never
        /// STARTTLS whenever the server offers it, without checking its certificate: protection
        /// from eavesdroppers, not from an impostor (RFC 7435). A server that offers none gets
        /// the message in plain text.
        case opportunistic
        /// STARTTLS or nothing: a server that doesn't offer it, refuses it or fails the
        /// handshake gets nothing, and every recipient is deferred. The context checks the
        /// certificate; nil: the system's trust roots and the server's host name.
        case required(NIOSSLContext? = nil)
    }

    /// Why ``send(_:from:to:via:group:logger:)-(String,_,_,_,_,_)`` did not deliver to every recipient.
    public enum SendError: Error, Sendable, Hashable, CustomStringConvertible {
        /// An address given is not a mailbox (RFC 5321 §4.1.2); nothing was sent.
        case invalidAddress(String)
        /// No recipient was given; nothing was sent.
        case noRecipients
        /// Some recipients were not delivered: every recipient's outcome, in the order given
        /// (`.deferred` ones may be tried again later, `.failed` ones not).
        case notDelivered([RecipientResult])
        /// The TLS context for `.required` could not be made.
        case tlsUnavailable(String)

        /// What went wrong, each recipient on a line of its own with the reply that decided it.
        public var description: String {
            switch self {
            case .invalidAddress(let address): "not a mailbox: \(address)"
            case .noRecipients: "no recipients"
            case .tlsUnavailable(let reason): "no TLS context: \(reason)"
            case .notDelivered(let results):
                results.map { result in
                    let outcome = switch result.outcome {
                    case .delivered: "delivered"
                    case .deferred: "deferred"
                    case .failed: "failed"
                    }
                    return "\(result.recipient.path) \(outcome): \(result.outcome.reply)"
                }.joined(separator: "\n")
            }
        }
    }

    /// Sends one message to one server and says what became of each recipient.
    ///
    /// The text may have LF or CRLF line endings; it is sent with CRLF, and its size and whether
    /// it needs 8BITMIME or SMTPUTF8 are worked out from it and the addresses (TernSMTPCore's `MessageText`).
    ///
    ///     let replies = try await SMTPClient.send(
    ///         "Subject: hello\n\nHi Bob.\n", from: "alice@example.org", to: ["bob@example.net"],
    ///         via: .init(host: "mail.example.net", port: 587))
    ///
    /// - Parameters:
    ///   - message: the message as RFC 5322 text: header fields, an empty line, the body.
    ///   - sender: the reverse-path's mailbox, e.g. `alice@example.org`; empty or `<>` for the
    ///     null path of a bounce.
    ///   - recipients: the mailboxes to deliver to, each `user@domain` (brackets allowed), or
    ///     `Postmaster`.
    ///   - server: where to send it and how.
    ///   - group: the event loops to connect on.
    ///   - logger: where connection events go.
    /// - Returns: every recipient's outcome, all `.delivered`, with the server's replies.
    /// - Throws: ``SendError/notDelivered(_:)`` with every recipient's outcome when some
    ///   recipient was deferred or failed (the connection failed, the server refused); the
    ///   other cases before anything is sent.
    @discardableResult
    public static func send(
        _ message: some Sequence<UInt8>, from sender: String, to recipients: [String], via server: Server,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "tern.smtp.client")
    ) async throws(SendError) -> [RecipientResult] {
        guard !recipients.isEmpty else { throw .noRecipients }
        let text = MessageText(message)
        let outbound = OutboundMessage(
            id: "message", sender: try reversePath(sender),
            recipients: try recipients.map { address throws(SendError) in OutboundRecipient(path: try forwardPath(address)) },
            text: text)
        let context: NIOSSLContext?
        switch server.tls {
        case .never: context = nil
        case .opportunistic:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            context = try makeContext(configuration)
        case .required(let given?): context = given
        case .required(nil): context = try makeContext(.makeClientConfiguration())
        }
        var requireTLS = false
        if case .required = server.tls { requireTLS = true }
        let results = await deliver(
            [outbound], to: .tcp(host: server.host, port: server.port),
            configuration: ClientSessionConfiguration(
                hostname: server.clientName, requireTLS: requireTLS, tlsAvailable: context != nil,
                credentials: server.credentials),
            tls: context, tlsServerName: IPAddress(server.host) == nil ? server.host : nil, timeout: server.timeout,
            group: group, logger: logger
        ) { _ in
            AsyncStream { continuation in
                continuation.yield(ByteBuffer(bytes: text.bytes))
                continuation.finish()
            }
        }
        let outcomes = results.flatMap(\.recipients)
        guard outcomes.allSatisfy({ if case .delivered = $0.outcome { true } else { false } }) else {
            throw .notDelivered(outcomes)
        }
        return outcomes
    }

    /// ``send(_:from:to:via:group:logger:)-(Sequence<UInt8>,_,_,_,_,_)`` with the message's text as a string, sent as UTF-8.
    @discardableResult
    public static func send(
        _ message: String, from sender: String, to recipients: [String], via server: Server,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "tern.smtp.client")
    ) async throws(SendError) -> [RecipientResult] {
        try await send(message.utf8, from: sender, to: recipients, via: server, group: group, logger: logger)
    }

    private static func makeContext(_ configuration: TLSConfiguration) throws(SendError) -> NIOSSLContext {
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw .tlsUnavailable("\(error)")
        }
    }

    /// `user@domain`, with or without brackets; empty or `<>` is the null path.
    private static func reversePath(_ address: String) throws(SendError) -> ReversePath {
        let inside = unbracketed(address)
        return inside.isEmpty ? .null : .mailbox(try mailbox(inside, address))
    }

    /// `user@domain`, with or without brackets, or `Postmaster` in any case.
    private static func forwardPath(_ address: String) throws(SendError) -> ForwardPath {
        let inside = unbracketed(address)
        if inside.lowercased() == "postmaster" { return .postmaster }
        return .mailbox(try mailbox(inside, address))
    }

    private static func unbracketed(_ address: String) -> Substring {
        let trimmed = Substring(address)
        guard trimmed.hasPrefix("<") && trimmed.hasSuffix(">") && trimmed.count >= 2 else { return trimmed }
        return trimmed.dropFirst().dropLast()
    }

    private static func mailbox(_ text: Substring, _ given: String) throws(SendError) -> Mailbox {
        do {
            return try AddressParser.mailbox(text, utf8: true)
        } catch {
            throw .invalidAddress(given)
        }
    }
}
