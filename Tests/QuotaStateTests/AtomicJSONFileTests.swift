import Foundation
import Glibc
import QuotaCore
import QuotaTestSupport
import Testing

@testable import QuotaState

private struct Versioned: Codable, Sendable, Equatable {
    var version: Int
    var payload: [Int]
}

private struct Counter: Codable, Sendable {
    var count: Int
}

@Suite("Atomic JSON state files")
struct AtomicJSONFileTests {
    @Test func writeThenReadRoundTrips() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = AtomicJSONFile<Versioned>(path: dir.path + "/v.json")
        #expect(try file.read() == nil)
        try file.write(Versioned(version: 3, payload: [3, 3]))
        #expect(try file.read() == Versioned(version: 3, payload: [3, 3]))
        // No temporary files are left behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    /// A writer that does not take the lock (an operator's `rm`, an editor) wins over a
    /// read-modify-write that read the file before it: nothing is written back over its work.
    @Test func updateNeverWritesOverAFileRemovedOrRewrittenMeanwhile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = AtomicJSONFile<Versioned>(path: dir.path + "/v.json")
        try file.write(Versioned(version: 1, payload: []))

        // Removed while the update ran: it stays removed.
        #expect(throws: StateFileError.changedDuringUpdate(path: file.path)) {
            try file.update { value in
                unlink(file.path)
                value?.version = 2
            }
        }
        #expect(try file.read() == nil)

        // Rewritten in place while the update ran (a longer file, as an editor saves it): the
        // rewrite stays.
        try file.write(Versioned(version: 1, payload: []))
        #expect(throws: StateFileError.changedDuringUpdate(path: file.path)) {
            try file.update { value in
                try Data(#"{"version":7,"payload":[7,7,7,7]}"#.utf8).write(to: URL(fileURLWithPath: file.path))
                value?.version = 2
            }
        }
        #expect(try file.read() == Versioned(version: 7, payload: [7, 7, 7, 7]))

        // Undisturbed, the update is written; no temporary file is left after any of it.
        try file.update { $0?.version = 3 }
        #expect(try file.read()?.version == 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }.isEmpty)
    }

    @Test func modesAreEnforcedDespiteUmask() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let old = umask(0)
        defer { umask(old) }
        let secret = AtomicJSONFile<Counter>(path: dir.path + "/secret.json", mode: 0o600)
        let shared = AtomicJSONFile<Counter>(path: dir.path + "/shared.json", mode: 0o640)
        try secret.write(Counter(count: 1))
        try shared.write(Counter(count: 1))
        #expect(try mode(of: secret.path) == 0o600)
        #expect(try mode(of: shared.path) == 0o640)
    }

    @Test func corruptFileIsReportedWithPathAndLeftUntouched() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/c.json"
        try Data("{\"count\": ".utf8).write(to: URL(fileURLWithPath: path))
        let file = AtomicJSONFile<Counter>(path: path)
        #expect {
            try file.read()
        } throws: { error in
            guard let error = error as? StateFileError, case .corrupt(let reported, _) = error else { return false }
            return reported == path && error.description.contains(path)
        }
        // A read-modify-write refuses to replace the corrupt file.
        #expect(throws: StateFileError.self) {
            try file.update { (value: inout Counter?) in value = Counter(count: 1) }
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{\"count\": ")
    }

    @Test func wrongTypeNamesTheKey() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/c.json"
        try Data("{\"count\": \"three\"}".utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try AtomicJSONFile<Counter>(path: path).read()
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("count"))
        }
    }

    /// A child process rewrites the file in a loop and is SIGKILLed at random moments, hundreds
    /// of times; after each kill the file parses and holds one complete version.
    @Test func crashAtAnyMomentLeavesACompleteVersion() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/crash.json"
        let file = AtomicJSONFile<Versioned>(path: path)
        var lastVersion = 0
        var sawProgress = 0
        for round in 0..<200 {
            let child = try ServiceProcess("quota-state-stress", arguments: ["rewrite", path], logDirectory: dir.path)
            // Wait until the child has written at least one new version this round, so every
            // kill lands in a writer that is busy writing, then kill it at a random moment.
            let started = ContinuousClock.now
            while ContinuousClock.now - started < .seconds(20) {
                if let current = try? file.read(), current.version > lastVersion { break }
                try await Task.sleep(for: .microseconds(200))
            }
            try await Task.sleep(for: .microseconds(Int.random(in: 0...3000)))
            child.signal(SIGKILL)
            _ = await child.waitForExit()
            guard let value = try file.read() else {
                #expect(lastVersion == 0, "the file vanished in round \(round) after version \(lastVersion)")
                continue
            }
            #expect(value.payload.count == 2000)
            #expect(value.payload.allSatisfy { $0 == value.version }, "torn write in round \(round)")
            #expect(value.version >= lastVersion, "went back from \(lastVersion) to \(value.version)")
            if value.version > lastVersion { sawProgress += 1 }
            lastVersion = value.version
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("crash.json.tmp-") }
        // Killed writers may leave temporary files; they never replace the real file, and the
        // clean-up every service runs at start removes them all (their writers are dead).
        #expect(leftovers.count <= 200)
        let removed = StateDirectory(path: dir.path).removeStaleTemporaryFiles()
        #expect(removed.count == leftovers.count && removed.allSatisfy { $0.failure == nil })
        let remaining = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }
        #expect(remaining.isEmpty, "\(remaining)")
        #expect(try file.read()?.version == lastVersion, "the clean-up never touches the real file")
        #expect(sawProgress == 200, "every round killed a writer that had been writing")
    }

    /// Several processes increment one counter via read-modify-write at the same time; with the
    /// folder lock no increment is lost.
    @Test func concurrentReadModifyWriteLosesNoUpdate() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/counter.json"
        let processes = 6
        let increments = 150
        var children: [ServiceProcess] = []
        for _ in 0..<processes {
            children.append(
                try ServiceProcess("quota-state-stress", arguments: ["increment", path, "\(increments)"], logDirectory: dir.path))
        }
        for child in children {
            let status = await child.waitForExit(timeout: .seconds(120))
            #expect(status == 0, "\(child.standardError)")
        }
        let counter = try #require(try AtomicJSONFile<Counter>(path: path).read())
        #expect(counter.count == processes * increments)
    }

    private func mode(of path: String) throws -> mode_t {
        var info = stat()
        guard stat(path, &info) == 0 else { throw POSIXError(.ENOENT) }
        return info.st_mode & 0o777
    }
}
