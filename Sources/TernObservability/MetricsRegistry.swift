import CoreMetrics
public import Prometheus

/// The process's metrics, exposed for Prometheus: `bootstrap` makes every swift-metrics
/// figure of the process go into one registry, with the histogram buckets of Tern's own
/// timings and sizes (docs/operations.md "Metrics and health").
public enum MetricsRegistry {
    /// Sends every metric of the process into a new registry and returns it. A process
    /// bootstraps once, before it starts its servers.
    public static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = [
            "tern_spool_commit_seconds": [
                .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            ],
            "tern_delivery_delay_seconds": [
                .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5),
                .seconds(30), .seconds(60), .seconds(300), .seconds(900), .seconds(3600), .seconds(14_400), .seconds(86_400),
            ],
        ]
        factory.valueHistogramBuckets = ["tern_spool_commit_batch_size": [1, 2, 4, 8, 16, 32, 64, 128]]
        MetricsSystem.bootstrap(factory)
        return registry
    }
}
