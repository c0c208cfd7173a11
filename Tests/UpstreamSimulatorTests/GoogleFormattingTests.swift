import Foundation
import Testing
import UpstreamSimulator

@Suite("Google formatting")
struct GoogleFormattingTests {
    @Test("RetryInfo.retryDelay is a protobuf Duration: seconds, up to nine fraction digits, 's'")
    func protoDuration() {
        #expect(GoogleFormatting.protoDuration(seconds: 0) == "0s")
        #expect(GoogleFormatting.protoDuration(seconds: 26) == "26s")
        #expect(GoogleFormatting.protoDuration(seconds: 351085) == "351085s")
        #expect(GoogleFormatting.protoDuration(seconds: 0.479417207) == "0.479417207s")
        #expect(GoogleFormatting.protoDuration(seconds: 1.5) == "1.5s")
        #expect(GoogleFormatting.protoDuration(seconds: -3) == "0s")
    }

    @Test("quotaResetDelay is a Go duration")
    func goDuration() {
        #expect(GoogleFormatting.goDuration(seconds: 0.4794) == "479ms")
        #expect(GoogleFormatting.goDuration(seconds: 47941.209) == "13h19m1.209s")
        #expect(GoogleFormatting.goDuration(seconds: 2) == "2s")
    }
}
