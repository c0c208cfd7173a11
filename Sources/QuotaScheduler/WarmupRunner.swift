import Foundation
import Logging
import QuotaControl
import QuotaCore
import QuotaState

/// Sends warmups through the proxy's control socket, at most ``batchSize`` at once with
/// ``batchPause`` between batches (SPEC 2.4), and records each success in `warmup_history.json`.
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
    }

    func run(_ targets: [WarmupTarget], trigger: String) async -> Outcome {
        var outcome = Outcome()
        var remaining = targets[...]
        while !remaining.isEmpty {
            let batch = Array(remaining.prefix(batchSize))
            remaining = remaining.dropFirst(batch.count)
            let results = await withTaskGroup(of: (WarmupTarget, Result<Void, ControlClientError>).self) { group in
                for target in batch {
                    group.addTask {
                        do throws(ControlClientError) {
                            _ = try await proxy.send(
                                "warmup", arguments: ["account": .string(target.accountID), "model": .string(target.model)],
                                timeout: .seconds(120))
                            return (target, .success(()))
                        } catch {
                            return (target, .failure(error))
                        }
                    }
                }
                var results: [(WarmupTarget, Result<Void, ControlClientError>)] = []
                for await result in group { results.append(result) }
                return results
            }
            var succeeded: [WarmupTarget] = []
            for (target, result) in results.sorted(by: { $0.0 < $1.0 }) {
                switch result {
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
                guard await sleepUnlessShuttingDown(for: batchPause) else { break }
            }
        }
        return outcome
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
