import Foundation
import Logging
import ServiceLifecycle
import TernSMTPCore
import TernSpool

/// Removes checkpoint records, partial and completed, once `checkpoint.keep_partial` has passed
/// since they were last written (docs/behaviour.md §16 retention): the TRANSID then starts a new
/// transaction.
struct CheckpointJanitor: Service {
    let registry: CheckpointRegistry
    let spool: any CheckpointSpool
    let keepPartial: Duration
    let logger: Logger

    /// How often records are checked: a quarter of the retention, between 1 s and 1 min.
    var interval: Duration {
        min(max(keepPartial / 4, .seconds(1)), .seconds(60))
    }

    /// Sweeps until graceful shutdown, which ends the wait between sweeps.
    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await sweep()
                guard (try? await Task.sleep(for: interval)) != nil else { return }
            }
        }
    }

    func sweep() async {
        let cutoff = Date(timeIntervalSinceNow: -Double(keepPartial.components.seconds)
            - Double(keepPartial.components.attoseconds) / 1e18)
        for record in await registry.expire(before: cutoff) {
            do {
                try await spool.removeCheckpoint(record)
                logger.info("checkpoint expired", metadata: [
                    "checkpoint": "\(record.id)", "transid": "\(record.key.transactionID)",
                    "offset": "\(record.point.streamOffset)",
                ])
            } catch {
                logger.error("expired checkpoint not removed", metadata: ["checkpoint": "\(record.id)", "error": "\(error)"])
            }
        }
    }
}
