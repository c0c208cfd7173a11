import Foundation

extension SimulatorState {
    /// What a model request does to a key's subscription windows.
    enum SubscriptionDecision: Sendable, Equatable {
        /// Served: the plan after taking one unit.
        case granted(SubscriptionPlan)
        /// A window is used up: answer the style's 429.
        case exhausted(SubscriptionPlan)
    }

    /// Takes one unit from the key's subscription windows (only checks when `consume` is false);
    /// `nil` when the key has no subscription.
    func takeSubscription(key: String, consume: Bool) -> SubscriptionDecision? {
        guard var plan = keys[key]?.key.subscription else { return nil }
        let instant = now()
        plan.roll(now: instant)
        if consume {
            guard plan.consume(now: instant) else {
                keys[key]?.key.subscription = plan
                return .exhausted(plan)
            }
        } else if plan.fiveHour.isUsedUp || plan.sevenDay.isUsedUp {
            keys[key]?.key.subscription = plan
            return .exhausted(plan)
        }
        keys[key]?.key.subscription = plan
        return .granted(plan)
    }

    /// The key's subscription as it stands now (windows whose time is up ended).
    func subscription(key: String) -> SubscriptionPlan? {
        guard var plan = keys[key]?.key.subscription else { return nil }
        plan.roll(now: now())
        keys[key]?.key.subscription = plan
        return plan
    }

    /// Applies an admin change to a key's subscription; returns the new plan (`nil` when removed).
    func updateSubscription(_ update: SubscriptionUpdate, forKey key: String) throws(SimulatorError) -> SubscriptionPlan? {
        guard let entry = keys[key] else { throw .unknownKey(key) }
        if update.remove == true {
            keys[key]?.key.subscription = nil
            return nil
        }
        var plan = entry.key.subscription
            ?? SubscriptionPlan(
                style: update.style ?? .anthropic, fiveHour: SubscriptionPlan.Window(limit: 100, seconds: 18_000),
                sevenDay: SubscriptionPlan.Window(limit: 1000, seconds: 604_800))
        plan.roll(now: now())
        if let style = update.style { plan.style = style }
        if let change = update.fiveHour {
            plan.fiveHour = change.applied(to: plan.fiveHour)
            if plan.fiveHour.used > 0 && plan.fiveHour.startedAt == nil { plan.fiveHour.startedAt = now() }
        }
        if let change = update.sevenDay {
            plan.sevenDay = change.applied(to: plan.sevenDay)
            if plan.sevenDay.used > 0 && plan.sevenDay.startedAt == nil { plan.sevenDay.startedAt = now() }
        }
        try plan.validate(context: "subscription")
        keys[key]?.key.subscription = plan
        return plan
    }
}
