import Foundation
import Glibc
import QuotaTestSupport
import Synchronization
import Testing

/// Whether `pid` has ended (gone, or a zombie nobody reaped yet).
func hasEnded(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let end = stat.lastIndex(of: ")") else {
        return true
    }
    let state = stat[stat.index(after: end)...].split(separator: " ").first
    return state == "Z" || state == "X"
}

/// Waits (without blocking a thread) until `pid` has ended; false after 10 s.
func ended(_ pid: Int32) async -> Bool {
    for _ in 0..<1000 {
        if hasEnded(pid) { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return false
}

@Suite("A child process run with a time limit")
struct ChildProcessTests {
    @Test func reportsTheExitStatusAndBothOutputs() async throws {
        let run = try await ChildProcess.run("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"])
        #expect(run.termination == .exited(3))
        #expect(run.status == 3)
        #expect(!run.timedOut && !run.succeeded)
        #expect(run.standardOutput == "out\n")
        #expect(run.standardError == "err\n")
        #expect(run.leftBehind.isEmpty)
        #expect(run.description.contains("--- stderr\nerr\n"))
    }

    @Test func reportsTheSignalThatEndedIt() async throws {
        let run = try await ChildProcess.run("/bin/sh", ["-c", "kill -KILL $$"])
        #expect(run.termination == .signalled(SIGKILL))
        #expect(run.status == 128 + SIGKILL)
        #expect(!run.timedOut)
    }

    @Test func passesInputEnvironmentAndDirectory() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let run = try await ChildProcess.run(
            "/bin/sh", ["-c", "cat; echo \"$CHILD_PROCESS_TEST\"; pwd"], environment: ["CHILD_PROCESS_TEST": "set", "PATH": "/usr/bin:/bin"],
            directory: directory.path, input: "line one\n")
        #expect(run.succeeded, "\(run)")
        let realPath = URL(fileURLWithPath: directory.path).resolvingSymlinksInPath().path
        #expect(run.standardOutput == "line one\nset\n\(realPath)\n", "\(run)")
    }

    @Test func aProgramThatCannotStartThrows() async throws {
        await #expect(throws: (any Error).self) {
            _ = try await ChildProcess.run("/nonexistent/program")
        }
    }

    /// Past the time limit the whole process group is killed: what the program started too.
    @Test func overItsTimeLimitTheWholeGroupIsKilled() async throws {
        let run = try await ChildProcess.run("/bin/sh", ["-c", "sleep 300 & echo $!; wait"], timeLimit: .seconds(2))
        #expect(run.timedOut)
        #expect(run.termination == .signalled(SIGKILL), "\(run)")
        #expect(!run.succeeded)
        let grandchild = try #require(Int32(run.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)), "\(run)")
        #expect(await ended(grandchild), "the program's own child \(grandchild) survived the time limit")
    }

    /// With a grace period the group gets TERM first, and a program that stops on it reports its
    /// own exit status.
    @Test func aGracePeriodSendsTERMFirst() async throws {
        let run = try await ChildProcess.run(
            "/bin/sh", ["-c", "trap 'echo stopping; exit 7' TERM; sleep 300 & echo $!; wait"], timeLimit: .seconds(3),
            gracePeriod: .seconds(60))
        #expect(run.timedOut)
        #expect(run.termination == .exited(7), "\(run)")
        #expect(run.standardOutput.hasSuffix("stopping\n"), "\(run)")
        let grandchild = try #require(run.standardOutput.split(separator: "\n").first.flatMap { Int32($0) }, "\(run)")
        #expect(await ended(grandchild), "the program's own child \(grandchild) survived the time limit")
    }

    /// A program that exits but leaves a process of its group running is reported, and that
    /// process is killed.
    @Test func processesLeftRunningAreReportedAndKilled() async throws {
        let run = try await ChildProcess.run("/bin/sh", ["-c", "sleep 300 >/dev/null 2>&1 & echo $!"], timeLimit: .seconds(60))
        #expect(run.succeeded, "\(run)")
        let grandchild = try #require(Int32(run.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)), "\(run)")
        #expect(run.leftBehind == [grandchild], "\(run)")
        #expect(await ended(grandchild), "the process left behind, \(grandchild), is still running")
    }

    /// Many programs waited for at once (more than the cooperative pool has threads) leave the
    /// pool free: another task runs while they all still wait.
    @Test func waitingOccupiesNoThreadOfTheCooperativePool() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let release = directory.path + "/release"
        let waits = ProcessInfo.processInfo.activeProcessorCount * 2 + 2
        let counts = Counts()
        // Each program waits (up to 30 s) until the test creates the release file.
        let script = "i=0; while [ ! -e \"$1\" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done; [ -e \"$1\" ]"
        try await withThrowingTaskGroup(of: ChildProcess.Outcome.self) { group in
            for _ in 0..<waits {
                group.addTask {
                    counts.value.withLock { $0.started += 1 }
                    defer { counts.value.withLock { $0.finished += 1 } }
                    return try await ChildProcess.run("/bin/sh", ["-c", script, "sh", release], timeLimit: .seconds(120))
                }
            }
            while counts.value.withLock({ $0.started }) < waits { try await Task.sleep(for: .milliseconds(10)) }
            try await Task.sleep(for: .milliseconds(100))
            let finishedWhenProbed = await Task { counts.value.withLock { $0.finished } }.value
            #expect(finishedWhenProbed == 0, "a task ran only after \(finishedWhenProbed) of the \(waits) waits had ended")
            _ = FileManager.default.createFile(atPath: release, contents: nil)
            for try await outcome in group {
                #expect(outcome.succeeded, "\(outcome)")
            }
        }
    }
}
