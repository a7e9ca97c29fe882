import Logging
import Metrics
import Prometheus
import TernBuildInfo
import TernConfig
import TernDelivery
import TernObservability
import TernSMTPServer
import TernSpool

/// `[metrics]`: the Prometheus exposition and the health check (docs/operations.md "Metrics
/// and health").
extension Daemon {
    /// The registry every metric of the process goes into, made on first use: the process's
    /// metrics factory can be set only once.
    private static let registry: PrometheusCollectorRegistry = MetricsRegistry.bootstrap()

    /// How long a health check waits for the spool's answer.
    private static let healthTimeout = Duration.seconds(5)

    /// Starts counting when `[metrics]` is configured: before any listener or delivery runs, so
    /// that every figure goes into the registry. Nothing is counted otherwise.
    static func startMetrics(_ configuration: TernConfiguration) {
        guard configuration.metrics != nil else { return }
        _ = registry
        Gauge(label: "tern_build_info", dimensions: [("version", TernBuild.version), ("revision", TernBuild.revision)])
            .record(1)
    }

    /// The `[metrics]` listener, bound now; nil when not configured.
    static func metricsServer(
        _ configuration: TernConfiguration, spool: any SpoolStore, runner: QueueRunner, checkpoints: CheckpointRegistry,
        listeners: [SMTPServer], logger: Logger
    ) async throws -> MetricsServer? {
        guard let address = configuration.metrics else { return nil }
        let registry = registry
        let sources = MetricsServer.Sources(
            exposition: {
                await refreshQueueGauges(runner: runner, checkpoints: checkpoints, logger: logger)
                return registry.emitToBuffer()
            },
            problems: {
                var problems = listeners.filter { !$0.isListening }.map { "listener \($0.listenerDescription) down" }
                if let failure = await spoolProblem(spool) { problems.append("spool not writable: \(failure)") }
                return problems
            })
        return try await ListenError.naming(host: address.host, port: address.port, "[metrics] address") {
            try await MetricsServer(host: address.host, port: address.port, sources: sources, logger: logger)
        }
    }

    /// Sets `tern_queue_messages` from the queue as it is now.
    private static func refreshQueueGauges(runner: QueueRunner, checkpoints: CheckpointRegistry, logger: Logger) async {
        do {
            let counts = try await runner.control.stateCounts()
            let partial = await checkpoints.all().count
            for (state, count) in [("active", counts.active), ("deferred", counts.deferred), ("held", counts.held),
                                   ("partial", partial)] {
                Gauge(label: "tern_queue_messages", dimensions: [("state", state)]).record(count)
            }
        } catch {
            logger.warning("queue figures unavailable for metrics", metadata: ["error": "\(error)"])
        }
    }

    /// Why the spool can't store a message now, nil when it can; a spool that does not answer
    /// within `healthTimeout` is a problem too.
    private static func spoolProblem(_ spool: any SpoolStore) async -> String? {
        await withTaskGroup(of: String?.self) { group in
            group.addTask {
                do {
                    try await spool.checkWritable()
                    return nil
                } catch {
                    return "\(error)"
                }
            }
            group.addTask {
                try? await Task.sleep(for: healthTimeout)
                return "no answer within \(healthTimeout)"
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
