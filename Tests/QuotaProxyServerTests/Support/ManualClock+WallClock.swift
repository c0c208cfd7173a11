import QuotaCore
import QuotaTestSupport

extension ManualClock {
    /// The proxy's wall clock reading this clock.
    var wallClock: WallClock {
        WallClock { [self] in now }
    }
}
