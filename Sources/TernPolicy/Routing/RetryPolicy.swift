/// How long the queue runner waits before trying a temporarily failed delivery again,
/// and when it gives up.
package struct RetryPolicy: Hashable, Sendable {
    /// The wait after the first, second, ... attempt that left a recipient deferred; the last
    /// entry repeats.
    package var delays: [Duration]
    /// How long a message may stay in the queue before deferred recipients fail for good.
    package var maximumAge: Duration

    /// A policy; `delays` must not be empty.
    package init(delays: [Duration], maximumAge: Duration) {
        precondition(!delays.isEmpty, "a retry policy needs at least one delay")
        self.delays = delays
        self.maximumAge = maximumAge
    }

    /// 1 min, 5 min, 15 min, 1 h, then every 4 h; give up after 5 days (docs/configuration.md `[delivery]`;
    /// RFC 5321 §4.5.4.1 suggests at least 4–5 days).
    package static let standard = RetryPolicy(
        delays: [.seconds(60), .seconds(300), .seconds(900), .seconds(3_600), .seconds(14_400)],
        maximumAge: .seconds(5 * 86_400))

    /// The wait after `attempts` attempts (1 or more).
    package func delay(afterAttempt attempts: Int) -> Duration {
        delays[min(max(attempts, 1), delays.count) - 1]
    }
}
