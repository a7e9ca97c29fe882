#if canImport(Glibc)
public import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import Logging
public import NIOCore
public import NIOPosix
import TernSASL
import TernSMTPCore

/// One SMTP session over a pair of file descriptors instead of a socket, as `sendmail -bs`
/// offers it to local programs on standard input and output.
///
/// The session is the same as on a listener (the same `ServerSession`, framer, pipelining and
/// idle timeout), without TLS or AUTH, for the client `127.0.0.1`. The descriptors must be
/// pipes, sockets or terminals; NIO can't wait on regular files
/// (`ChannelError.operationUnsupported`).
public enum StandardIOSession {
    /// Runs the session until the client quits or closes its input.
    ///
    /// - Parameters:
    ///   - configuration: the session's settings; `tls` and `authentication` must be nil, and
    ///     `host` and `port` are not used.
    ///   - delegate: decides about the session, as for an `SMTPServer`.
    ///   - input: read for commands; duplicated, so the caller keeps its own descriptor.
    ///   - output: written with replies; duplicated likewise.
    ///   - group: the event loops to run on.
    ///   - logger: the session's log.
    public static func run(
        configuration: SMTPServerConfiguration, delegate: any SMTPServerDelegate, input: CInt = STDIN_FILENO,
        output: CInt = STDOUT_FILENO, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) async throws {
        precondition(configuration.tls == nil && configuration.authentication == nil, "no TLS or AUTH on standard I/O")
        let idleTimeout = TimeAmount.nanoseconds(Int64(configuration.idleTimeout.components.seconds) * 1_000_000_000
            + configuration.idleTimeout.components.attoseconds / 1_000_000_000)
        let (readSide, writeSide) = (dup(input), dup(output))
        guard readSide >= 0, writeSide >= 0 else {
            let code = errno
            if readSide >= 0 { close(readSide) }
            if writeSide >= 0 { close(writeSide) }
            throw IOError(errnoCode: code, reason: "dup")
        }
        let channel: NIOAsyncChannel<ConnectionEvent, ByteBuffer>
        do {
            channel = try await NIOPipeBootstrap(group: group)
                .channelOption(.allowRemoteHalfClosure, value: true)
                .takingOwnershipOfDescriptors(input: readSide, output: writeSide) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: idleTimeout))
                        try channel.pipeline.syncOperations.addHandler(ConnectionEventHandler())
                        return try NIOAsyncChannel<ConnectionEvent, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            close(readSide)
            close(writeSide)
            throw error
        }
        try await serve(channel, configuration: configuration, delegate: delegate, logger: logger)
    }

    /// Runs one session over `channel`, active and without handlers, as `run` does over its
    /// pipes, without the idle timeout, and with AUTH when the configuration has an
    /// `authentication`; `tls` must be nil. For the fuzz targets (Fuzz/README.md), which drive it
    /// over an in-memory channel.
    package static func run(
        over channel: any Channel, configuration: SMTPServerConfiguration, delegate: any SMTPServerDelegate,
        logger: Logger
    ) async throws {
        precondition(configuration.tls == nil, "no TLS over a bare channel")
        let wrapped = try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.addHandler(ConnectionEventHandler())
            return try NIOAsyncChannel<ConnectionEvent, ByteBuffer>(wrappingChannelSynchronously: channel)
        }.get()
        try await serve(wrapped, configuration: configuration, delegate: delegate, logger: logger)
    }

    /// The session over a channel set up for it, for the client `127.0.0.1`.
    private static func serve(
        _ channel: NIOAsyncChannel<ConnectionEvent, ByteBuffer>, configuration: SMTPServerConfiguration,
        delegate: any SMTPServerDelegate, logger: Logger
    ) async throws {
        // The one session is counted, so HELP STATUS shows it.
        let tracker = ConnectionTracker(maximum: 1, maximumPerClient: 1, isExempt: { _ in true })
        guard case .admitted(let id) = tracker.admit(channel.channel, address: "127.0.0.1") else {
            preconditionFailure("a new tracker admits its first connection")
        }
        defer { tracker.release(id) }
        let connection = SMTPConnection(
            channel: channel,
            info: ConnectionInfo(
                id: 1, remoteAddress: IPAddress("127.0.0.1"), role: configuration.session.role,
                control: ConnectionControl { [child = channel.channel] in child.close(promise: nil) }),
            configuration: configuration, delegate: delegate, tracker: tracker, secret: .forThisProcess, logger: logger)
        try await connection.run()
    }
}
