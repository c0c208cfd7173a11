import Foundation
import Logging
import QuotaCore
import QuotaRuntime
import QuotaState

/// Writes what the request path learnt (live quota, protection, cooldowns) to the state folder in
/// batches, about once a second and once more at shutdown, on a thread of its own so a slow disk
/// never delays a request.
struct QuotaFlusher: Sendable {
    let coordinator: RoutingCoordinator
    let catalog: AccountCatalog
    let state: StateDirectory
    let logger: Logger
    let evaluator: @Sendable () -> ProtectionEvaluator

    /// Collects the pending figures from every loop and writes them. Returns the number of
    /// account files written.
    @discardableResult
    func flush() async -> Int {
        let drained = await coordinator.collect { $0.drainPendingQuota() }
        var merged: [String: PendingQuota] = [:]
        let now = Date()
        for perLoop in drained {
            for (account, pending) in perLoop {
                merged[account, default: PendingQuota()].add(pending, now: now)
            }
        }
        let cooldowns = try? await coordinator.withFirst { routing -> (UInt64, CooldownBook) in
            (routing.cooldownRevision, routing.cooldowns)
        }
        let evaluator = self.evaluator()
        let figures = merged
        return await onThreadPool { write(figures, cooldowns: cooldowns, evaluator: evaluator) }
    }

    private func write(
        _ figures: [String: PendingQuota], cooldowns: (UInt64, CooldownBook)?, evaluator: ProtectionEvaluator
    ) -> Int {
        var written = 0
        let now = Date()
        var history: [QuotaHistoryRecord] = []
        for (id, pending) in figures.sorted(by: { $0.key < $1.key }) {
            do {
                let updated = try state.accounts.update(id: id) { account in
                    let before = account.quota.windows
                    account.mergeQuotaWindows(pending.windows, seenModels: pending.models, now: now)
                    history += QuotaHistoryChanges.records(
                        account: id, before: before, after: account.quota.windows, time: now, writer: .proxy)
                    account.quota.lastUpdated = now
                    let outcome = evaluator.evaluate(account)
                    for change in outcome.changes {
                        logger.notice("\(change.message)", metadata: ["account": "\(id)", "model": "\(change.group)"])
                    }
                    account = outcome.applied(to: account)
                }
                if let updated {
                    catalog.noteWritten(updated)
                    written += 1
                }
            } catch StateFileError.changedDuringUpdate {
                // Removed or edited by hand meanwhile: the next refresh of the catalog picks that up.
                logger.info(
                    "live quota of \(id) not saved: its file was removed or rewritten meanwhile", metadata: ["account": "\(id)"])
            } catch {
                logger.error("cannot save live quota of \(id): \(error)", metadata: ["account": "\(id)"])
            }
        }
        if !history.isEmpty {
            // quota-history.jsonl for the dashboard's timeline; only figures that changed.
            do {
                try state.quotaHistoryWriter.append(history)
            } catch {
                logger.error("cannot append to the quota history: \(error)")
            }
        }
        if let (revision, book) = cooldowns, revision != lastCooldownRevision.value {
            do {
                try state.cooldowns.write(book)
                lastCooldownRevision.value = revision
            } catch {
                logger.error("cannot save cooldowns: \(error)")
            }
        }
        return written
    }

    /// Written only from the flusher's thread-pool job, one at a time.
    let lastCooldownRevision = RevisionBox()
}

/// The last cooldown revision written (`@unchecked`: only the flusher, which never overlaps
/// itself, reads and writes it).
final class RevisionBox: @unchecked Sendable {
    var value: UInt64 = .max
}
