import Glibc
import Testing

@testable import QuotaControl

@Suite("Descriptor budget")
struct DescriptorBudgetTests {
    @Test func theUsualLimitsAreSharedOutLeavingTheReserve() {
        let small = DescriptorBudget(limit: 1024, inUse: 30)
        #expect(small.reserve == 64)
        #expect(small.forConnections == 930)
        #expect(small.controlConnections == 120, "an eighth of the limit less the reserve")
        #expect(small.clientConnections == 405, "half of what the control socket leaves")
        #expect(DescriptorBudget(limit: 1024, inUse: 900).controlConnections == 120, "counted again, in use does not move it")

        let unit = DescriptorBudget(limit: 65536, inUse: 30)
        #expect(unit.controlConnections == 256, "never more than 256 per control socket")
        #expect(unit.clientConnections == 32593)
    }

    /// Control connections (one descriptor each) and client connections (two each: the client's
    /// and its upstream's) at their caps together never reach into the reserve.
    @Test(arguments: [200, 300, 1024, 4096, 16384, 65536, 1 << 20])
    func bothCapsTogetherFitBelowTheReserve(limit: Int) {
        for inUse in [0, 17, 40, 150] {
            let budget = DescriptorBudget(limit: limit, inUse: inUse)
            guard budget.forConnections >= 16 else { continue }
            let held = budget.controlConnections + budget.clientConnections * DescriptorBudget.clientConnectionWeight
            #expect(held <= budget.forConnections, "limit \(limit), \(inUse) in use: \(held) held")
            #expect(inUse + held + budget.reserve <= limit)
            #expect(held >= budget.forConnections - 2, "and the caps leave next to nothing unused")
        }
    }

    @Test func aLimitThatLeavesNothingAdmitsNothingButKeepsCapsOfOne() {
        let starved = DescriptorBudget(limit: 70, inUse: 40)
        #expect(starved.forConnections == 0)
        #expect(starved.controlConnections == 1)
        #expect(starved.clientConnections == 1)
        #expect(!starved.admits(1, held: 0))
    }

    @Test func admissionStopsExactlyAtTheReserve() {
        let budget = DescriptorBudget(limit: 110, inUse: 40, reserve: 64)
        #expect(budget.forConnections == 6)
        #expect(budget.admits(2, held: 4))
        #expect(!budget.admits(2, held: 5))
        #expect(budget.admits(1, held: 5))
        #expect(!budget.admits(1, held: 6))
    }

    /// The ledger applies the budget with the limit in force and counts what it admits, refuses
    /// and releases.
    @Test func theLedgerAdmitsUpToTheReserveAndAgainAfterARelease() {
        let limit = DescriptorLedger().budget.limit
        let ledger = DescriptorLedger(reserve: limit - 100 - 5, inUse: 100)
        #expect(ledger.budget.forConnections == 5)
        #expect(ledger.admit(weight: 2))
        #expect(ledger.admit(weight: 2))
        #expect(!ledger.admit(weight: 2))
        #expect(ledger.admit(weight: 1))
        #expect(!ledger.admit(weight: 1))
        #expect(ledger.heldCount == 5)
        #expect(ledger.refusedCount == 2)
        ledger.release(weight: 2)
        #expect(ledger.admit(weight: 2))
        #expect(ledger.heldCount == 5)
    }

    /// `/proc/self/fd` is counted: 200 more descriptors open, about 200 more counted.
    @Test func descriptorsInUseAreCounted() throws {
        let before = try #require(DescriptorLedger.openDescriptors())
        var ends: [Int32] = []
        defer { for fd in ends { close(fd) } }
        for _ in 0..<100 {
            var pair: [Int32] = [-1, -1]
            try #require(pipe(&pair) == 0)
            ends += pair
        }
        let during = try #require(DescriptorLedger.openDescriptors())
        // Other tests run beside this one and open and close files too: allow for some of that.
        #expect(during >= before + 150 && during <= before + 250, "\(before) → \(during) with 200 more open")
    }
}
