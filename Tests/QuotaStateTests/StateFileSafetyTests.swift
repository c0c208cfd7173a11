import Foundation
import Glibc
import QuotaCore
import QuotaTestSupport
import Testing

@testable import QuotaState

/// Odd files in the state folder (FIFOs, links, devices, huge files, bad names, leftovers of a
/// crash) never block, flood or redirect the services.
@Suite("State file safety")
struct StateFileSafetyTests {
    func prepared() throws -> (TemporaryDirectory, StateDirectory) {
        let dir = try TemporaryDirectory()
        let state = StateDirectory(path: dir.path + "/state")
        try state.prepare()
        return (dir, state)
    }

    func write(_ text: String, to path: String, mode: mode_t = 0o600) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, mode)
    }

    static func accountJSON(_ id: String) -> String {
        AccountStoreTests.example.replacingOccurrences(of: "\"acc-1\"", with: "\"\(id)\"")
    }

    @Test func aFIFOInAccountsIsSkippedWithoutBlocking() async throws {
        let (dir, state) = try prepared()
        defer { dir.remove() }
        try write(Self.accountJSON("good"), to: state.accountsPath + "/good.json")
        let fifo = state.accountsPath + "/x.json"
        #expect(mkfifo(fifo, 0o600) == 0)
        let store = state.accounts
        let result = await BlockingCall.run(timeout: .seconds(5), unblock: { BlockingCall.releaseFIFO(at: fifo) }) {
            store.loadAll()
        }
        let loaded = try #require(result, "loading the accounts blocked on a FIFO")
        #expect(loaded.accounts.map(\.id) == ["good"])
        #expect(loaded.problems.count == 1)
        #expect(loaded.problems.first?.path == fifo)
        #expect(loaded.problems.first?.message.contains("FIFO") == true, "\(loaded.problems)")
    }

    @Test func aSymbolicLinkIsRefusedNotFollowed() throws {
        let (dir, state) = try prepared()
        defer { dir.remove() }
        // A valid account outside the state folder, linked in.
        let outside = dir.path + "/elsewhere.json"
        try write(Self.accountJSON("linked"), to: outside)
        #expect(symlink(outside, state.accountsPath + "/linked.json") == 0)
        let result = state.accounts.loadAll()
        #expect(result.accounts.isEmpty)
        #expect(result.problems.count == 1)
        #expect(result.problems.allSatisfy { $0.message.contains("symbolic link") }, "\(result.problems)")
        // A link to /dev/zero is refused before anything is read (the reader never follows links).
        let zero = state.accountsPath + "/zero.json"
        #expect(symlink("/dev/zero", zero) == 0)
        #expect(throws: StateFileError.symbolicLink(path: zero)) {
            try StateFileReader.read(path: zero, limit: StateFileReader.accountFileLimit)
        }
        // Writing never goes through a link either: an update is refused, the target unchanged.
        let before = try String(contentsOfFile: outside, encoding: .utf8)
        #expect(throws: StateFileError.symbolicLink(path: state.accountsPath + "/linked.json")) {
            try state.accounts.update(id: "linked") { $0.disabled = true }
        }
        #expect(try String(contentsOfFile: outside, encoding: .utf8) == before)
    }

    @Test func devicesAndOversizedFilesAreRefusedWithTheirCap() throws {
        let (dir, state) = try prepared()
        defer { dir.remove() }
        // 1 MiB + 1 byte of valid JSON: over the account cap.
        let padding = String(repeating: " ", count: StateFileReader.accountFileLimit + 1 - Self.accountJSON("big").utf8.count)
        try write(Self.accountJSON("big") + padding, to: state.accountsPath + "/big.json")
        let result = state.accounts.loadAll()
        #expect(result.accounts.isEmpty)
        #expect(result.problems.first?.message.contains("over the 1 MiB limit") == true, "\(result.problems)")

        // The other state files have their caps too.
        let anonymous = state.anonymous.path
        try write("{\"last_attempt\": null}" + String(repeating: " ", count: 70_000), to: anonymous, mode: 0o640)
        #expect(throws: StateFileError.tooLarge(path: anonymous, size: 70_022, limit: StateFileReader.smallFileLimit)) {
            try state.anonymous.read()
        }
        // A device is never read (a symbolic link to one is refused before that).
        #expect(throws: StateFileError.notRegularFile(path: "/dev/zero", kind: "a character device")) {
            try StateFileReader.read(path: "/dev/zero", limit: 1 << 20)
        }
        #expect(throws: StateFileError.notRegularFile(path: "/dev/zero", kind: "a character device")) {
            try StateFileReader.read(path: "/dev/zero", limit: 1 << 20, policy: .followingLinks)
        }
    }

    @Test func aFileOthersMayReadIsLoadedWithAWarning() throws {
        let (dir, state) = try prepared()
        defer { dir.remove() }
        try write(Self.accountJSON("shared"), to: state.accountsPath + "/shared.json", mode: 0o644)
        try write(Self.accountJSON("private"), to: state.accountsPath + "/private.json", mode: 0o600)
        let result = state.accounts.loadAll()
        #expect(result.accounts.map(\.id) == ["private", "shared"])
        #expect(result.problems.isEmpty)
        #expect(result.warnings.count == 1)
        #expect(result.warnings.first?.message.contains("mode 0644") == true)
        #expect(result.warnings.first?.message.contains("chmod 600 \(state.accountsPath)/shared.json") == true)
    }

    @Test func accountIDsThatLeaveTheFolderAreRefusedByEveryOperation() throws {
        let (dir, state) = try prepared()
        defer { dir.remove() }
        let victim = state.path + "/victim.json"
        try write(Self.accountJSON("victim"), to: victim, mode: 0o640)
        let elsewhere = try dir.subdirectory("elsewhere")
        try write(Self.accountJSON("acc"), to: elsewhere + "/acc.json", mode: 0o644)
        let store = state.accounts

        #expect(throws: StateFileError.invalidAccountID(directory: store.directory, id: "../victim")) {
            try store.remove(id: "../victim")
        }
        #expect(throws: StateFileError.invalidAccountID(directory: store.directory, id: "../../elsewhere/acc")) {
            try store.update(id: "../../elsewhere/acc") { $0.disabled = true }
        }
        var account = try #require(try store.file(for: "x").decode(Data(Self.accountJSON("x").utf8)))
        account.id = "../../elsewhere/acc"
        #expect(throws: StateFileError.self) { try store.save(account) }
        guard case .failure(let problem) = store.load(id: "../victim") else {
            Issue.record("a path-like id must not load")
            return
        }
        #expect(problem.message.contains("invalid account id \"../victim\""))

        #expect(FileManager.default.fileExists(atPath: victim))
        #expect(try String(contentsOfFile: elsewhere + "/acc.json", encoding: .utf8) == Self.accountJSON("acc"))
        var info = stat()
        stat(elsewhere + "/acc.json", &info)
        #expect(info.st_mode & 0o777 == 0o644, "no chmod outside the folder")
        #expect(
            StateFileError.invalidAccountID(directory: store.directory, id: "../victim").description
                == "invalid account id \"../victim\": an account id is \(InvalidAccountID.allowedShape); nothing in \(store.directory) was touched")
    }

    @Test func staleTemporaryFilesOfDeadWritersAreRemovedAndNothingElse() async throws {
        let (dir, state) = try prepared()
        defer { dir.remove() }
        // A process that is certainly gone.
        let child = try ServiceProcess("quota-state-stress", arguments: [], logDirectory: dir.path)
        _ = await child.waitForExit()
        let dead = child.pid
        let stale = [
            state.path + "/.cooldowns.json.tmp-\(dead)-12345",
            state.accountsPath + "/.acc-1.json.tmp-\(dead)-4294967295",
        ]
        let kept = [
            state.path + "/.warmup_history.json.tmp-1-77",  // pid 1 is alive: being written right now
            state.path + "/.cooldowns.json.tmp-\(dead)-x",  // not our pattern
            state.path + "/notes.tmp-\(dead)-1",  // not our pattern (no leading dot)
            state.accountsPath + "/acc-1.json",
        ]
        for path in stale + kept { try write("{}", to: path) }
        let removed = state.removeStaleTemporaryFiles()
        #expect(Set(removed.map(\.path)) == Set(stale))
        #expect(removed.allSatisfy { $0.failure == nil && $0.writer == dead })
        for path in stale { #expect(!FileManager.default.fileExists(atPath: path)) }
        for path in kept { #expect(FileManager.default.fileExists(atPath: path), "\(path) must stay") }
        #expect(TemporaryFileName.writer(of: ".x.json.tmp-42-7") == 42)
        #expect(TemporaryFileName.writer(of: ".tmp-42-7") == nil)
        #expect(TemporaryFileName.writer(of: ".x.json.tmp-42-7-8") == nil)
    }

    @Test func theRequestLogIsNeitherReadNorWrittenThroughOddFiles() async throws {
        let (dir, state) = try prepared()
        defer { dir.remove() }
        let folder = state.requestLogPath
        #expect(mkdir(folder, 0o750) == 0)
        let fifo = folder + "/" + RequestLogLayout.rotatedFileName(1)
        #expect(mkfifo(fifo, 0o640) == 0)
        let reader = state.requestLog
        let outcome = await BlockingCall.run(timeout: .seconds(5), unblock: { BlockingCall.releaseFIFO(at: fifo) }) {
            Result { () throws(RequestLogError) in try reader.page() }
        }
        let result = try #require(outcome, "reading the request log blocked on a FIFO")
        #expect(throws: RequestLogError.notRegularFile(path: fifo, kind: "a FIFO (named pipe)")) { try result.get() }
        unlink(fifo)

        // A link in place of requests.jsonl is not written through.
        let target = dir.path + "/target"
        try write("", to: target)
        #expect(symlink(target, folder + "/" + RequestLogLayout.currentFileName) == 0)
        #expect(throws: RequestLogError.notRegularFile(path: folder + "/requests.jsonl", kind: "a symbolic link")) {
            try state.requestLogWriter().appendEncoded(Array("{\"id\":\"1\"}\n".utf8))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)).isEmpty)
    }

    @Test func anOversizedRequestLogIsReadFromItsNewestPart() throws {
        let (dir, state) = try prepared()
        defer { dir.remove() }
        let folder = state.requestLogPath
        #expect(mkdir(folder, 0o750) == 0)
        let line = Array("not a record but a line\n".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(line.count * 40)
        for _ in 0..<40 { bytes += line }
        try Data(bytes).write(to: URL(fileURLWithPath: folder + "/requests.jsonl"))
        let fd = open(folder + "/requests.jsonl", O_RDONLY)
        defer { close(fd) }
        let (tail, cut) = try RequestLogReader.readTail(fd: fd, path: "requests.jsonl", limit: line.count * 10 + 5)
        #expect(cut)
        #expect(tail.count == line.count * 10 + 5)
        #expect(Array(tail.suffix(line.count)) == line)
    }
}
