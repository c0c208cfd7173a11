import Foundation
import Glibc
import QuotaCore
import QuotaTestSupport
import Testing

@testable import QuotaState

private let base = Date(timeIntervalSince1970: 1_795_366_020)

private func change(_ number: Int, account: String = "acc-1") -> QuotaHistoryRecord {
    QuotaHistoryRecord(
        time: base.addingTimeInterval(TimeInterval(number)), account: account, scope: .model, model: "gpt-4o-mini", windowSeconds: 18000,
        percentage: Double(number % 100), resetTime: base.addingTimeInterval(18000), source: .headers, writer: .proxy)
}

private func append(_ path: String, _ text: String) {
    let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o640)
    _ = text.withCString { write(fd, $0, strlen($0)) }
    close(fd)
}

@Suite("Quota history files")
struct QuotaHistoryStoreTests {
    @Test func appendsReadBackInOrderAndStayBounded() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let lineBytes = change(10).jsonLine().utf8.count + 1
        let layout = QuotaHistoryLayout(maxFileBytes: max(1024, lineBytes * 8), maxFiles: 3)
        let writer = QuotaHistoryWriter(directory: dir.path, layout: layout)
        for number in 0..<100 { try writer.append([change(number)]) }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("quota-history") }.sorted()
        #expect(names == ["quota-history.1.jsonl", "quota-history.2.jsonl", "quota-history.jsonl"])
        var total = 0
        for name in names {
            var info = stat()
            stat(dir.path + "/" + name, &info)
            #expect(Int(info.st_size) <= layout.maxFileBytes)
            #expect(info.st_mode & 0o777 == 0o640)
            total += Int(info.st_size)
        }
        #expect(total <= layout.maxFileBytes * layout.maxFiles)
        let (records, skipped) = try QuotaHistoryReader(directory: dir.path).records()
        #expect(skipped == 0)
        #expect(records.last == change(99))
        #expect(records.map(\.time) == records.map(\.time).sorted(), "oldest first across the rotated files")
        #expect(records.count < 100 && records.count > 8)
        let recent = try QuotaHistoryReader(directory: dir.path).records(since: base.addingTimeInterval(95)).records
        #expect(recent.map(\.percentage) == [95, 96, 97, 98, 99])
    }

    @Test func aTornLineIsSkippedAndTheNextAppendStartsOnANewLine() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let writer = QuotaHistoryWriter(directory: dir.path)
        try writer.append([change(1)])
        append(writer.currentPath, #"{"time":"2026-11-22T0"#)  // a crash in the middle of a write
        try writer.append([change(2), change(3)])
        let (records, skipped) = try QuotaHistoryReader(directory: dir.path).records()
        #expect(records == [change(1), change(2), change(3)])
        #expect(skipped == 1)
        #expect(try QuotaHistoryReader(directory: dir.path + "/missing").records().records.isEmpty)
    }

    /// The history's file name taken by a symbolic link or a FIFO: the append fails naming the
    /// file and the refusal, writes nothing through the link, and never blocks on the FIFO.
    @Test func aSymbolicLinkOrAFIFOInPlaceOfTheHistoryIsRefused() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let writer = QuotaHistoryWriter(directory: dir.path)
        let victim = dir.path + "/victim.txt"
        FileManager.default.createFile(atPath: victim, contents: Data("keep\n".utf8))
        #expect(symlink(victim, writer.currentPath) == 0)
        #expect {
            try writer.append([change(1)])
        } throws: { error in
            "\(error)".contains(writer.currentPath) && "\(error)".contains("symbolic link")
        }
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep\n", "nothing written through the link")

        #expect(unlink(writer.currentPath) == 0)
        #expect(mkfifo(writer.currentPath, 0o640) == 0)
        #expect {
            try writer.append([change(2)])
        } throws: { error in
            "\(error)".contains(writer.currentPath) && "\(error)".contains("not a regular file")
        }
    }

    /// The dashboard follows the logs: every line once, across rotations, a partial line held back.
    @Test func aTailHandsOverEachLineOnceAcrossRotations() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let lineBytes = change(10).jsonLine().utf8.count + 1
        let writer = QuotaHistoryWriter(directory: dir.path, layout: QuotaHistoryLayout(maxFileBytes: max(1024, lineBytes * 5), maxFiles: 10))
        var tail = LogTail(files: QuotaHistoryReader.files(directory: dir.path))
        var seen: [String] = []
        func read() throws {
            try tail.readNew { line in seen.append(String(decoding: line, as: UTF8.self)) }
        }
        try read()
        #expect(seen.isEmpty)
        try writer.append([change(0), change(1)])
        try read()
        #expect(seen.count == 2)
        // Enough to rotate twice between two reads.
        for number in 2..<20 { try writer.append([change(number)]) }
        try read()
        #expect(seen.count == 20)
        #expect(seen == (0..<20).map { change($0).jsonLine() })
        append(writer.currentPath, #"{"time":"partial"#)
        try read()
        #expect(seen.count == 20, "a line without its line break waits")
        append(writer.currentPath, "\n")
        try writer.append([change(20)])
        try read()
        #expect(seen.count == 22 && seen[20] == #"{"time":"partial"# && seen[21] == change(20).jsonLine())
        try read()
        #expect(seen.count == 22)
    }

    @Test func aTailFollowsTheRequestLog() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let state = StateDirectory(path: dir.path)
        let writer = state.requestLogWriter(maxFileBytes: 65536, maxFiles: 2)
        var tail = LogTail(files: .requestLog(directory: state.requestLogPath))
        var count = 0
        try tail.readNew { _ in count += 1 }
        #expect(count == 0)
        let record = RequestRecord(id: "r-1", time: base, wireProtocol: "openai", route: "/v1/chat/completions", status: 200, durationMs: 1)
        try writer.append([record, record])
        try tail.readNew { _ in count += 1 }
        #expect(count == 2)
    }
}
