import Logging
import Metrics
import NIOConcurrencyHelpers
import Prometheus
import ServiceLifecycle
import TernObservability
import Testing

/// The `[metrics]` listener over a real socket: what `/metrics` and `/health` answer, and the
/// registry that `MetricsRegistry.bootstrap` sets up.
@Suite struct MetricsServerTests {
    /// Runs a server with `sources` on a free port while `body` talks to it.
    private func withServer(
        _ sources: MetricsServer.Sources, idleTimeout: Duration = MetricsServer.defaultIdleTimeout,
        _ body: (Int) async throws -> Void
    ) async throws {
        let server = try await MetricsServer(
            host: "127.0.0.1", port: 0, sources: sources, idleTimeout: idleTimeout, logger: Logger(label: "test"))
        let port = try #require(server.localPort)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: server)], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            defer { tasks.cancelAll() }
            try await body(port)
            await group.triggerGracefulShutdown()
        }
    }

    private static func sources(problems: [String] = []) -> MetricsServer.Sources {
        MetricsServer.Sources(
            exposition: { Array("# TYPE tern_test_total counter\ntern_test_total 3\n".utf8) },
            problems: { problems })
    }

    @Test func metricsAreServedInThePrometheusTextFormat() async throws {
        try await withServer(Self.sources()) { port in
            let response = try await HTTPTestClient.get(port: port, "/metrics")
            #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(response.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"))
            #expect(response.contains("Content-Length: 49\r\n"))
            #expect(response.hasSuffix("\r\n\r\n# TYPE tern_test_total counter\ntern_test_total 3\n"))
        }
    }

    @Test func healthIsOKWithoutProblems() async throws {
        try await withServer(Self.sources()) { port in
            let response = try await HTTPTestClient.get(port: port, "/health")
            #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(response.hasSuffix("\r\n\r\nok\n"))
        }
    }

    @Test func healthIs503WithEachProblemOnALine() async throws {
        let problems = ["listener 127.0.0.1:25 (mx) down", "spool not writable: read-only file system"]
        try await withServer(Self.sources(problems: problems)) { port in
            let response = try await HTTPTestClient.get(port: port, "/health")
            #expect(response.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"))
            #expect(response.hasSuffix("\r\n\r\nlistener 127.0.0.1:25 (mx) down\nspool not writable: read-only file system\n"))
        }
    }

    @Test func otherPathsAndMethodsAreRefused() async throws {
        try await withServer(Self.sources()) { port in
            let missing = try await HTTPTestClient.get(port: port, "/metricsx")
            #expect(missing.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
            let posted = try await HTTPTestClient.get(port: port, "/metrics", method: "POST")
            #expect(posted.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"))
        }
    }

    @Test func requestsOnOneConnectionAreAnsweredInTurn() async throws {
        let asked = NIOLockedValueBox(0)
        let sources = MetricsServer.Sources(
            exposition: { Array("n \(asked.withLockedValue { $0 += 1; return $0 })\n".utf8) }, problems: { [] })
        try await withServer(sources) { port in
            let keepAlive = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            let close = "GET /metrics?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            let response = try await HTTPTestClient.exchange(port: port, keepAlive + close)
            #expect(response.split(separator: "HTTP/1.1 200 OK", omittingEmptySubsequences: false).count == 3)
            #expect(response.contains("\r\n\r\nn 1\n") && response.hasSuffix("\r\n\r\nn 2\n"))
        }
    }

    @Test func aConnectionWithoutRequestsIsClosedAfterTheIdleTimeout() async throws {
        try await withServer(Self.sources(), idleTimeout: .milliseconds(300)) { port in
            let started = ContinuousClock.now
            let answer = try await HTTPTestClient.exchange(port: port, "", seconds: 5)
            #expect(answer.isEmpty)
            #expect(ContinuousClock.now - started < .seconds(4))
        }
    }

    /// The one test of this process that sets the metrics factory (it can be set only once).
    @Test func bootstrapSendsSwiftMetricsToTheRegistryWithTernsBuckets() {
        let registry = MetricsRegistry.bootstrap()
        Counter(label: "tern_bootstrap_test_total", dimensions: [("kind", "a")]).increment(by: 3)
        Timer(label: "tern_spool_commit_seconds", dimensions: [("backend", "test")]).recordNanoseconds(700_000)
        Recorder(label: "tern_spool_commit_batch_size").record(3)
        let text = registry.emitToString()
        #expect(text.contains("# TYPE tern_bootstrap_test_total counter\ntern_bootstrap_test_total{kind=\"a\"} 3\n"))
        #expect(text.contains("tern_spool_commit_seconds_bucket{backend=\"test\",le=\"0.0005\"} 0\n"))
        #expect(text.contains("tern_spool_commit_seconds_bucket{backend=\"test\",le=\"0.001\"} 1\n"))
        #expect(text.contains("tern_spool_commit_batch_size_bucket{le=\"2.0\"} 0\n"))
        #expect(text.contains("tern_spool_commit_batch_size_bucket{le=\"4.0\"} 1\n"))
    }
}
