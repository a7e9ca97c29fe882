import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import TernSMTPCore
import TernSMTPServer
import Testing

/// The embedding API over real sockets: handler defaults, what EHLO offers following from the
/// TLS context and the authenticator, password AUTH, and an owner's own enhanced codes.
@Suite struct EmbeddingTests {
    /// Accepts `alice` with `wonderland`; `outage` finds the user database down.
    struct Passwords: PasswordAuthenticator {
        func verify(username: String, password: String) async -> PasswordVerdict {
            if username == "outage" { return .unavailable }
            return username == "alice" && password == "wonderland" ? .accepted : .refused
        }
    }

    /// Only the message sink and one recipient refusal with a code the catalogue doesn't have.
    struct Handler: SMTPSessionHandler {
        let accounts: NIOLockedValueBox<[String]>
        func recipient(_ path: ForwardPath, parameters: RcptParameters) async throws(Reply) -> Reply {
            guard path.description != "<spoofed@example.com>" else {
                throw Reply(550, EnhancedStatusCode(permanent: 7, 26), "Multiple authentication checks failed")
            }
            return .recipientOK
        }
        func authenticated(as account: String) async { accounts.withLockedValue { $0.append(account) } }
        func beginMessage() async throws(Reply) -> any SMTPMessageSink { throw Reply.localError }
    }

    /// Runs a server over `configuration` while `body` runs with its port.
    static func serving(
        _ configuration: SMTPServerConfiguration, accounts: NIOLockedValueBox<[String]> = NIOLockedValueBox([]),
        _ body: (Int) async throws -> Void
    ) async throws {
        let server = try await SMTPServer(configuration: configuration) { _ in Handler(accounts: accounts) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            try await body(server.localPort!)
        }
    }

    static func configuration(tls: Bool = false, authentication: SMTPAuthentication? = nil) throws -> SMTPServerConfiguration {
        SMTPServerConfiguration(
            host: "127.0.0.1", port: 0, session: ServerSessionConfiguration(hostname: "mx.example.com"),
            idleTimeout: .seconds(10), tls: tls ? TLSContextHolder(try TestCertificate.serverContext()) : nil,
            authentication: authentication, authFailureDelay: .zero)
    }

    /// The keyword lines of an EHLO reply, without their codes.
    static func keywords(_ output: String) -> [String] {
        let lines = output.split(separator: "\r\n").filter { $0.hasPrefix("250") }
        return Array(lines.dropFirst().map { String($0.dropFirst(4)) })
    }

    /// A conversation with STARTTLS: `say` sends a line and reads until a marker.
    static func converse(
        port: Int, _ body: (_ say: (String, String) async throws -> String, _ startTLS: () async throws -> Void) async throws -> Void
    ) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        let context = try TestCertificate.clientContext()
        try await channel.executeThenClose { inbound, outbound in
            var input = inbound.makeAsyncIterator()
            var received = ""
            func say(_ line: String, until marker: String) async throws -> String {
                if !line.isEmpty { try await outbound.write(ByteBuffer(string: line + "\r\n")) }
                while !received.contains(marker) {
                    // The server's idle timeout (10 s) ends a wait that would never end.
                    guard let chunk = try await input.next() else { break }
                    received += String(buffer: chunk)
                }
                defer { received = "" }
                return received
            }
            func startTLS() async throws {
                try await channel.channel.eventLoop.submit {
                    try channel.channel.pipeline.syncOperations.addHandler(
                        try NIOSSLClientHandler(context: context, serverHostname: "mx.example.com"), position: .first)
                }.get()
            }
            try await body(say, startTLS)
        }
    }

    @Test(.timeLimit(.minutes(1))) func aPasswordAuthenticatorOffersExactlyPlainAndLoginAfterSTARTTLS() async throws {
        let accounts = NIOLockedValueBox<[String]>([])
        let configuration = try Self.configuration(tls: true, authentication: .passwords(Passwords()))
        #expect(configuration.session.tlsAvailable && configuration.session.authMechanisms == ["PLAIN", "LOGIN"])
        try await Self.serving(configuration, accounts: accounts) { port in
            try await Self.converse(port: port) { say, startTLS in
                _ = try await say("", "220 ")
                let plaintext = Self.keywords(try await say("EHLO client.example.net", "250 HELP\r\n"))
                #expect(plaintext.contains("STARTTLS") && !plaintext.contains { $0.hasPrefix("AUTH") })
                #expect(try await say("AUTH PLAIN \(Base64.encode(Array("\0alice\0wonderland".utf8)))", "\r\n")
                    .hasPrefix("538 5.7.11 "))
                #expect(try await say("STARTTLS", "\r\n") == "220 2.0.0 Ready to start TLS\r\n")
                try await startTLS()
                let inside = Self.keywords(try await say("EHLO client.example.net", "250 HELP\r\n"))
                #expect(inside.filter { $0.hasPrefix("AUTH") } == ["AUTH PLAIN LOGIN"])
                #expect(!inside.contains("STARTTLS"))
                #expect(try await say("AUTH CRAM-MD5", "\r\n").hasPrefix("504 5.5.4 "))
                #expect(try await say("AUTH PLAIN \(Base64.encode(Array("\0alice\0guess".utf8)))", "\r\n")
                    == "535 5.7.8 Authentication credentials invalid\r\n")
                #expect(try await say("AUTH PLAIN \(Base64.encode(Array("\0outage\0x".utf8)))", "\r\n").hasPrefix("454 4.7.0 "))
                #expect(try await say("AUTH LOGIN", "\r\n") == "334 VXNlcm5hbWU6\r\n")
                #expect(try await say(Base64.encode(Array("alice".utf8)), "\r\n") == "334 UGFzc3dvcmQ6\r\n")
                #expect(try await say(Base64.encode(Array("wonderland".utf8)), "\r\n") == "235 2.7.0 Authentication successful\r\n")
                #expect(try await say("QUIT", "221 ").hasPrefix("221 2.0.0 "))
            }
        }
        #expect(accounts.withLockedValue { $0 } == ["alice"])
    }

    @Test(.timeLimit(.minutes(1))) func plaintextPasswordsOnlyWhenAllowed() async throws {
        let configuration = try Self.configuration(authentication: .passwords(Passwords(), allowPlaintext: true))
        try await Self.serving(configuration) { port in
            let output = try await LineClient.connect(port: port).exchange(
                "EHLO c\r\nAUTH PLAIN \(Base64.encode(Array("\0alice\0wonderland".utf8)))\r\nQUIT\r\n", until: "221 ")
            #expect(Self.keywords(output).filter { $0.hasPrefix("AUTH") || $0 == "STARTTLS" } == ["AUTH PLAIN LOGIN"])
            #expect(output.contains("\r\n235 2.7.0 Authentication successful\r\n"))
        }
    }

    @Test(.timeLimit(.minutes(1))) func withoutTLSOrAuthenticatorNeitherIsOffered() async throws {
        try await Self.serving(try Self.configuration()) { port in
            let output = try await LineClient.connect(port: port).exchange(
                "EHLO c\r\nSTARTTLS\r\nAUTH PLAIN\r\nQUIT\r\n", until: "221 ")
            #expect(Self.keywords(output).allSatisfy { $0 != "STARTTLS" && !$0.hasPrefix("AUTH") })
            #expect(output.contains("\r\n454 4.7.0 TLS not available due to temporary reason\r\n"))
        }
    }

    @Test(.timeLimit(.minutes(1))) func defaultsAndAnOwnersEnhancedCodeOnTheWire() async throws {
        try await Self.serving(try Self.configuration()) { port in
            let output = try await LineClient.connect(port: port).exchange(
                "EHLO c\r\nVRFY bob\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<spoofed@example.com>\r\n"
                    + "RCPT TO:<bob@example.com>\r\nDATA\r\nHELP STATUS\r\nQUIT\r\n",
                until: "221 ")
            let replies = output.split(separator: "\r\n").filter { $0.dropFirst(3).first == " " }.dropFirst(2)
            #expect(Array(replies) == [
                "252 2.1.5 Cannot VRFY user (e.g., info is not local), but will take message for this user and attempt delivery",
                "250 2.1.0 Sender OK",
                "550 5.7.26 Multiple authentication checks failed",
                "250 2.1.5 Recipient OK",
                "451 4.3.0 Requested action aborted: local error in processing",
                "211 2.0.0 End of status",
                "221 2.0.0 mx.example.com Service closing transmission channel",
            ])
            #expect(output.contains("211-2.0.0 Sessions: 1\r\n"))
        }
    }
}
