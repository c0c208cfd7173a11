import Foundation
import Logging
import QuotaControl
import QuotaCore
import QuotaState
import ServiceLifecycle

/// Sends warmups through the proxy's control socket, at most ``batchSize`` at once with
/// ``batchPause`` between batches (SPEC 2.4), and records each success in `warmup_history.json`.
///
/// On graceful shutdown (SIGTERM) no new batch starts and the answers still awaited are given up
/// at once: the proxy finishes those warmups by itself, they are just not recorded (a warmed
/// model is below 100% afterwards, so the next scan does not repeat it). A warmup can take as long
/// as its upstream answer, and the scheduler must never hold a stop for that long.
struct WarmupRunner: Sendable {
    let proxy: ControlClient
    let history: AtomicJSONFile<WarmupHistory>
    let logger: Logger
    var batchSize = 3
    var batchPause: Duration = .seconds(2)

    struct Outcome: Sendable {
        var warmed = 0
        var failed = 0
        /// The proxy was not running: the remaining warmups were not attempted.
        var proxyDown = false
        /// Warmups not started or whose answer was given up because the service is stopping.
        var abandoned = 0
    }

    func run(_ targets: [WarmupTarget], trigger: String) async -> Outcome {
        var outcome = Outcome()
        var remaining = targets[...]
        while !remaining.isEmpty {
            guard !Self.stopping else {
                outcome.abandoned += remaining.count
                break
            }
            let batch = Array(remaining.prefix(batchSize))
            remaining = remaining.dropFirst(batch.count)
            let results = await withTaskGroup(of: (WarmupTarget, Result<Void, ControlClientError>).self) { group in
                for target in batch {
                    group.addTask {
                        do {
                            _ = try await cancelWhenGracefulShutdown {
                                try await proxy.send(
                                    "warmup", arguments: ["account": .string(target.accountID), "model": .string(target.model)],
                                    timeout: .seconds(120))
                            }
                            return (target, .success(()))
                        } catch let error as ControlClientError {
                            return (target, .failure(error))
                        } catch {
                            return (target, .failure(.transport(path: proxy.path, message: "\(error)")))
                        }
                    }
                }
                var results: [(WarmupTarget, Result<Void, ControlClientError>)] = []
                for await result in group { results.append(result) }
                return results
            }
            var succeeded: [WarmupTarget] = []
            let stopping = Self.stopping
            for (target, result) in results.sorted(by: { $0.0 < $1.0 }) {
                switch result {
                case .failure where stopping:
                    outcome.abandoned += 1
                case .success:
                    succeeded.append(target)
                    logger.info(
                        "warmup (\(trigger)): \(target.model) on \(target.accountID) started its quota window",
                        metadata: ["account": "\(target.accountID)", "model": "\(target.model)"])
                case .failure(.notRunning), .failure(.permissionDenied):
                    outcome.proxyDown = true
                    outcome.failed += 1
                case .failure(let error):
                    outcome.failed += 1
                    logger.warning(
                        "warmup (\(trigger)) of \(target.model) on \(target.accountID) failed: \(error)",
                        metadata: ["account": "\(target.accountID)", "model": "\(target.model)"])
                }
            }
            if !succeeded.isEmpty {
                record(succeeded)
                outcome.warmed += succeeded.count
            }
            if outcome.proxyDown {
                outcome.failed += remaining.count
                logger.error(
                    "warmup (\(trigger)) needs quota-proxy, which is not running (\(proxy.path)); \(outcome.failed) warmup(s) not done, retrying next scan")
                break
            }
            if !remaining.isEmpty {
                guard await sleepUnlessShuttingDown(for: batchPause) else { continue }
            }
        }
        if outcome.abandoned > 0 {
            logger.notice(
                "warmup (\(trigger)): stopping, \(outcome.abandoned) warmup(s) not started or not awaited; the proxy finishes any it already began, they are not recorded")
        }
        return outcome
    }

    /// Whether the service is stopping (graceful shutdown or cancellation of this task).
    static var stopping: Bool {
        Task.isShuttingDownGracefully || Task.isCancelled
    }

    /// History is written only for warmups that succeeded.
    private func record(_ targets: [WarmupTarget]) {
        let now = Date()
        do {
            try history.update { (value: inout WarmupHistory?) in
                var current = value ?? WarmupHistory()
                for target in targets { current.record(account: target.accountID, model: target.model, at: now) }
                value = current
            }
        } catch {
            logger.error("warmups succeeded but cannot be recorded, they may repeat: \(error)")
        }
    }
}

import QuotaRuntime
