import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import UnixSignals
import TernAccounts
package import TernConfig
import TernControl
import TernDelivery
import TernMessage
import TernPolicy
import TernSASL
import TernSMTPCore
import TernSMTPServer
import TernSpool
import TernSubmission

/// `tern serve`: the spool, the queue runner, the control socket for `tern queue`, the maildrop
/// pickup for `tern sendmail` and one SMTP server per listener in one `ServiceGroup`, stopped
/// gracefully by SIGTERM or SIGINT.
package enum Daemon {
    /// Threads for blocking file work (writes, fsync, renames, Maildir delivery).
    static let blockingThreads = 32

    /// Runs until a shutdown signal; throws when something can't start (a taken port, an
    /// unwritable data directory).
    package static func run(_ configuration: TernConfiguration) async throws {
        configuration.log.bootstrap()
        startMetrics(configuration)
        let logger = Logger(label: "tern")
        let data = configuration.dataDirectory
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        // fsync waits on the disk, not the CPU: enough threads that many sessions and
        // deliveries sync at once (the disk merges them), instead of one per core.
        let threadPool = NIOThreadPool(numberOfThreads: blockingThreads)
        threadPool.start()
        defer { threadPool.shutdownGracefully { _ in } }
        try await withSpool(configuration, threadPool: threadPool, logger: logger) { spool in
            try await serve(configuration, spool: spool, threadPool: threadPool, logger: logger)
        }
        logger.info("stopped")
    }

    /// Every service of the server on `spool`, until a shutdown signal.
    private static func serve(
        _ configuration: TernConfiguration, spool: any SpoolStore & CheckpointSpool, threadPool: NIOThreadPool,
        logger: Logger
    ) async throws {
        let data = configuration.dataDirectory
        let local = configuration.local
        var delivery = configuration.delivery
        delivery.ownEndpoints = OwnEndpoints(listeners: configuration.listeners.map {
            OwnEndpoints.Endpoint(host: $0.host, port: $0.port)
        })
        let maildirs = MaildirCourier(
            mailRoot: data + "/mail", hostname: configuration.hostname, threadPool: threadPool, logger: logger)
        let relay = RelayCourier(
            settings: delivery, resolver: SystemResolver(servers: configuration.dnsServers, threadPool: threadPool),
            hostname: configuration.hostname, tls: try RelayCourier.makeClientTLS(), logger: logger)
        let runner = QueueRunner(
            spool: spool,
            local: maildirs,
            relay: relay,
            hostname: configuration.hostname, settings: delivery,
            reportTargets: { DeliveryTarget.targets(of: $0, in: local) }, logger: logger)
        let exempt = configuration.limits.exemptNetworks
        let tracker = ConnectionTracker(
            maximum: configuration.limits.connections, maximumPerClient: configuration.limits.connectionsPerClient,
            isExempt: { address in exempt.contains { $0.contains(address: address) } },
            stressChanged: { stressed, open in
                if stressed {
                    logger.warning("stress: connections near the limit, waits shortened", metadata: ["open": "\(open)"])
                } else {
                    logger.notice("stress over", metadata: ["open": "\(open)"])
                }
            })
        let authenticator = AccountAuthenticator(store: AccountStore(dataDirectory: data), threadPool: threadPool)
        let checkpoints = CheckpointRegistry(try await spool.checkpoints(), logger: logger)
        let mta = MTA(configuration: configuration, spool: spool, runner: runner, maildirs: maildirs, tracker: tracker,
                      authenticator: authenticator, checkpoints: checkpoints, logger: logger)
        var services: [any Service] = [
            runner,
            CheckpointJanitor(registry: checkpoints, spool: spool, keepPartial: configuration.checkpoint.keepPartial,
                              logger: logger),
            ControlServer(
                path: ControlSocket.path(dataDirectory: data), control: runner.control,
                partials: { await checkpoints.all().map(PartialEntry.init) }, logger: logger),
            MaildropPickup(
                maildropDirectory: Maildrop(dataDirectory: data).directory, hostname: configuration.hostname,
                messageSizeLimit: configuration.limits.messageSize, spool: spool,
                recipients: configuration.local, threadPool: threadPool, logger: logger,
                submitted: { runner.submitted($0) }),
        ]
        var tls: [TLSCipherPolicy: TLSContextHolder] = [:]
        if let settings = configuration.tls {
            for policy in TLSCipherPolicy.allCases {
                tls[policy] = TLSContextHolder(try settings.makeContext(policy))
            }
            services.append(TLSReloader(tls: settings, holders: tls, logger: logger))
        }
        var listeners: [SMTPServer] = []
        for listener in configuration.listeners {
            var session = ServerSessionConfiguration(
                hostname: configuration.hostname, role: listener.role, acceptMail: configuration.acceptMail,
                messageSizeLimit: configuration.limits.messageSize, recipientLimit: configuration.limits.recipients,
                badCommandLimit: configuration.limits.badCommands, authFailureLimit: configuration.limits.authFailures)
            session.offersCheckpoint = listener.role != .odmr
            let purpose = "[[listen]] role \(listener.role.rawValue)"
            listeners.append(try await ListenError.naming(host: listener.host, port: listener.port, purpose) {
                try await SMTPServer(
                    configuration: SMTPServerConfiguration(
                        host: listener.host, port: listener.port, session: session,
                        idleTimeout: configuration.limits.idleTimeout,
                        stressIdleTimeout: configuration.limits.stressIdleTimeout, tls: tls[TLSCipherPolicy(listener.role)],
                        authentication: .storedCredentials(
                            authenticator, mechanisms: configuration.auth.mechanisms.compactMap { SASLMechanism(name: $0) },
                            allowPlaintext: !configuration.auth.requireTLS)),
                    delegate: mta, tracker: tracker, logger: logger)
            })
        }
        services += listeners.map { $0 as any Service }
        if let metrics = try await metricsServer(
            configuration, spool: spool, runner: runner, checkpoints: checkpoints, listeners: listeners, logger: logger) {
            services.append(metrics)
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        await relay.closeConnections()
    }
}
