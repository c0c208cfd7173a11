import Foundation

/// The pure rules over an account's ``QuotaWindow``s (SPEC 2.6): merging observations, the
/// tightest quota per model (what `quota.models[]` shows and Quota Protection compares), pacing,
/// clamping of reset hints, and reading files written before windows existed.
public enum QuotaWindows {
    /// `routing.max_reset_hint_seconds` default: 7 days.
    public static let defaultMaxResetHintSeconds = 604_800

    /// `existing` with every window of `observed` in place of the one describing the same limit
    /// (``QuotaWindow/sameLimit(as:)``) unless that one was observed later, expired rate limits and
    /// error-body markers dropped, in a stable order.
    public static func merge(_ observed: [QuotaWindow], into existing: [QuotaWindow], now: Date) -> [QuotaWindow] {
        var result = existing
        for window in observed {
            if let index = result.firstIndex(where: { $0.sameLimit(as: window) }) {
                // Batches from several event loops arrive in any order: the newer figure wins.
                if result[index].observedAt <= window.observedAt { result[index] = window }
            } else {
                result.append(window)
            }
        }
        result.removeAll { $0.hasExpired(at: now) }
        return sorted(result)
    }

    /// `existing` with the windows of `source` replaced by `fresh` (a polled snapshot: a limit the
    /// source no longer reports disappears), expired windows dropped.
    public static func replacing(source: QuotaWindow.Source, with fresh: [QuotaWindow], in existing: [QuotaWindow], now: Date)
        -> [QuotaWindow]
    {
        merge(fresh, into: existing.filter { $0.source != source }, now: now)
    }

    /// The quota window that limits `model` most at `now`: the lowest percentage among the `quota`
    /// windows that cover it (model scope for that model, and account scope); on a tie the one that
    /// resets last. `nil` when no quota window covers the model.
    public static func tightestQuota(for model: String, in windows: [QuotaWindow], now: Date) -> QuotaWindow? {
        var best: QuotaWindow?
        for window in windows where window.kind == .quota && window.covers(model: model) {
            let current = window.current(at: now)
            if let chosen = best {
                if current.percentage < chosen.percentage
                    || (current.percentage == chosen.percentage
                        && (current.resetTime ?? .distantPast) > (chosen.resetTime ?? .distantPast))
                {
                    best = current
                }
            } else {
                best = current
            }
        }
        return best
    }

    /// The tightest account-scope quota window at `now`, if any.
    public static func tightestAccountQuota(in windows: [QuotaWindow], now: Date) -> QuotaWindow? {
        var best: QuotaWindow?
        for window in windows where window.kind == .quota && window.scope == .account {
            let current = window.current(at: now)
            if best == nil || current.percentage < best!.percentage { best = current }
        }
        return best
    }

    /// `quota.models[]` as 0.1.0 files had it, now the tightest `quota` window of each model:
    /// one entry per model named in a model-scope window or in `knownModels` (the account's
    /// `models`, models seen in requests) that some quota window covers, sorted by name.
    public static func modelFigures(_ windows: [QuotaWindow], knownModels: some Sequence<String>, now: Date) -> [ModelQuota] {
        var names = Set(knownModels)
        for window in windows where window.scope == .model {
            if let model = window.model { names.insert(model) }
        }
        var result: [ModelQuota] = []
        for name in names.sorted() where !name.isEmpty {
            guard let window = tightestQuota(for: name, in: windows, now: now) else { continue }
            result.append(ModelQuota(name: name, percentage: window.percentage, resetTime: window.resetTime))
        }
        return result
    }

    /// Rate limits with nothing left, as pacing until their reset (clamped to
    /// `maxResetHintSeconds`); a window without a reset paces for its length (60 s when unknown).
    public static func pacing(_ windows: [QuotaWindow], now: Date, maxResetHintSeconds: Int = defaultMaxResetHintSeconds)
        -> [RatePacing]
    {
        var result: [RatePacing] = []
        for window in windows where window.kind == .rateLimit && window.isExhausted {
            let reset = window.resetTime ?? now.addingTimeInterval(TimeInterval(window.windowSeconds ?? 60))
            guard reset > now, let until = clampedReset(reset, now: now, maxResetHintSeconds: maxResetHintSeconds) else {
                continue
            }
            result.append(RatePacing(model: window.scope == .model ? window.model : nil, until: until))
        }
        return result
    }

    /// A reset hint no further away than `maxResetHintSeconds` (SPEC 2.6: a days-long stale
    /// cooldown is worse than an early re-check).
    public static func clampedReset(_ date: Date?, now: Date, maxResetHintSeconds: Int = defaultMaxResetHintSeconds) -> Date? {
        guard let date else { return nil }
        return min(date, now.addingTimeInterval(TimeInterval(maxResetHintSeconds)))
    }

    /// Whether two window lists differ in a way others must learn at once: a window added or
    /// removed, a whole percentage point, a reset time or a kind.
    public static func differsNotably(_ lhs: [QuotaWindow], _ rhs: [QuotaWindow]) -> Bool {
        guard lhs.count == rhs.count else { return true }
        for (left, right) in zip(lhs, rhs) {
            if !left.sameLimit(as: right) || left.resetTime != right.resetTime
                || left.percentage.rounded(.down) != right.percentage.rounded(.down)
            {
                return true
            }
        }
        return false
    }

    /// Whether the `quota` windows of two lists differ at all in percentage or reset (protection
    /// must then be evaluated again).
    public static func quotaDiffers(_ lhs: [QuotaWindow], _ rhs: [QuotaWindow]) -> Bool {
        let left = lhs.filter { $0.kind == .quota }
        let right = rhs.filter { $0.kind == .quota }
        guard left.count == right.count else { return true }
        for (a, b) in zip(left, right) where !a.sameLimit(as: b) || a.percentage != b.percentage || a.resetTime != b.resetTime {
            return true
        }
        return false
    }

    /// The windows of an account file written before windows existed (0.1.0: `quota.models` and no
    /// `quota.windows`). A figure of a polled source is a model-scope `quota` window. A figure of
    /// `headers` is what per-minute headers said unless its reset lay an hour or more after
    /// `last_updated`: a `rate_limit` window, else a `quota` window.
    public static func legacyWindows(_ models: [ModelQuota], sourceKind: QuotaSource.Kind, observedAt: Date?) -> [QuotaWindow] {
        let observed = observedAt ?? Date(timeIntervalSince1970: 0)
        let source = QuotaWindow.Source(sourceKind)
        return sorted(
            models.map { figure in
                var kind = QuotaWindow.Kind.quota
                if sourceKind == .headers {
                    let distance = figure.resetTime.map { $0.timeIntervalSince(observed) } ?? 0
                    kind = distance >= TimeInterval(QuotaWindow.quotaThresholdSeconds) ? .quota : .rateLimit
                }
                return QuotaWindow(
                    kind: kind, scope: .model, model: figure.name, windowSeconds: nil, percentage: figure.percentage,
                    resetTime: figure.resetTime, source: source, observedAt: observed)
            })
    }

    /// Account scope first, then by model, kind, length and source.
    static func sorted(_ windows: [QuotaWindow]) -> [QuotaWindow] {
        windows.sorted { lhs, rhs in
            if lhs.scope != rhs.scope { return lhs.scope == .account }
            if lhs.model != rhs.model { return (lhs.model ?? "") < (rhs.model ?? "") }
            if lhs.kind != rhs.kind { return lhs.kind == .quota }
            if lhs.windowSeconds != rhs.windowSeconds { return (lhs.windowSeconds ?? .max) < (rhs.windowSeconds ?? .max) }
            return lhs.source.rawValue < rhs.source.rawValue
        }
    }
}
