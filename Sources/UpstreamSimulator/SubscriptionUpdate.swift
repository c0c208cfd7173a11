import Foundation

/// `POST /admin/keys/{key}/subscription`: sets the plan, or changes its windows —
/// `{"five_hour": {"used": 100}}` drains the 5-hour window, `{"five_hour": {"reset": true}}` ends it.
struct SubscriptionUpdate: Codable, Sendable {
    struct WindowUpdate: Codable, Sendable {
        var limit: Int?
        var used: Int?
        /// Ends the window now (idle, nothing used).
        var reset: Bool?

        func applied(to window: SubscriptionPlan.Window) -> SubscriptionPlan.Window {
            var window = window
            if let limit { window.limit = limit }
            if let used { window.used = used }
            if reset == true {
                window.used = used ?? 0
                window.startedAt = nil
            }
            return window
        }
    }

    var style: SubscriptionPlan.Style?
    var fiveHour: WindowUpdate?
    var sevenDay: WindowUpdate?
    /// Removes the plan.
    var remove: Bool?

    enum CodingKeys: String, CodingKey {
        case style
        case fiveHour = "five_hour"
        case sevenDay = "seven_day"
        case remove
    }
}
