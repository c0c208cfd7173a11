import Foundation

/// Which quota figures changed when an account's windows were replaced: the records to append to
/// `quota-history.jsonl` (only when a figure changed, so the history stays small).
///
/// A `quota` window of `after` is recorded when no window of `before` describes the same limit
/// (``QuotaWindow/sameLimit(as:)``), or when its percentage differs by at least
/// ``minimumChange`` percentage points, or when it reaches 0 or 100 (the points a chart must show),
/// or when its reset moved (a new window started). Rate limits and windows that vanished are not
/// recorded.
public enum QuotaHistoryChanges {
    /// Smaller moves are not recorded (a token-based 7-day window moves by hundredths per request).
    public static let minimumChange = 0.1

    /// The records for the quota windows that changed between `before` and `after`.
    public static func records(
        account: String, before: [QuotaWindow], after: [QuotaWindow], time: Date, writer: QuotaHistoryRecord.Writer
    ) -> [QuotaHistoryRecord] {
        var records: [QuotaHistoryRecord] = []
        for window in after where window.kind == .quota {
            if let old = before.first(where: { $0.sameLimit(as: window) }), !changed(from: old, to: window) { continue }
            records.append(QuotaHistoryRecord(account: account, window: window, time: time, writer: writer))
        }
        return records
    }

    /// Whether `new` is worth a record after `old` (the same limit).
    public static func changed(from old: QuotaWindow, to new: QuotaWindow) -> Bool {
        if abs(old.percentage - new.percentage) >= minimumChange { return true }
        if old.percentage != new.percentage && (new.percentage == 0 || new.percentage == 100) { return true }
        switch (old.resetTime, new.resetTime) {
        case (nil, nil): return false
        case (let a?, let b?): return abs(a.timeIntervalSince(b)) >= 60
        default: return true
        }
    }
}
