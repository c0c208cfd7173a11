import Foundation
import QuotaCore

/// Windows one loop observed for an account since the last flush, and the models they were seen
/// for (so account-wide windows show up in `quota.models` for those models).
struct PendingQuota: Sendable {
    var windows: [QuotaWindow] = []
    var models: Set<String> = []

    mutating func add(_ observed: [QuotaWindow], model: String, now: Date) {
        windows = QuotaWindows.merge(observed, into: windows, now: now)
        models.insert(model)
    }

    mutating func add(_ other: PendingQuota, now: Date) {
        windows = QuotaWindows.merge(other.windows, into: windows, now: now)
        models.formUnion(other.models)
    }
}
