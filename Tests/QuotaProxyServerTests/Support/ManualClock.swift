import Foundation
import QuotaCore
import Synchronization

/// A wall clock that moves only when the test says so.
final class ManualClock: Sendable {
    private let time: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        time = Mutex(start)
    }

    var now: Date { time.withLock { $0 } }

    func advance(by seconds: TimeInterval) {
        time.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    var wallClock: WallClock {
        WallClock { [self] in now }
    }
}
