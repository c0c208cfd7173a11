import Foundation
import Glibc
import QuotaCore
import QuotaTestSupport
import Testing

@testable import QuotaState

private let base = Date(timeIntervalSince1970: 1_795_366_020)

/// A writer whose files hold about four records each, keeping three files.
private func smallRotatingWriter(_ state: StateDirectory) -> (writer: RequestLogWriter, maxFileBytes: Int) {
    let lineBytes = record(100).jsonLine().utf8.count + 1
    let maxFileBytes = lineBytes * 4 + 10
    return (state.requestLogWriter(maxFileBytes: maxFileBytes, maxFiles: 3), maxFileBytes)
}

private func record(_ number: Int, model: String = "gpt-4o-mini", account: String = "acc-1", status: Int = 200) -> RequestRecord {
    RequestRecord(
        id: "r-\(number)", time: base.addingTimeInterval(TimeInterval(number)), clientKey: "sk-c…1234", wireProtocol: "openai",
        route: "/v1/chat/completions", model: model, account: status < 400 ? account : nil,
        attempts: [.init(account: account, outcome: status < 400 ? "ok" : "server_error", status: status, durationMs: 5)],
        status: status, durationMs: 6.5, ttfbMs: 2, inputTokens: number, outputTokens: 2 * number)
}

private func mode(of path: String) -> mode_t {
    var info = stat()
    stat(path, &info)
    return info.st_mode & 0o777
}

private func size(of path: String) -> Int {
    var info = stat()
    guard stat(path, &info) == 0 else { return 0 }
    return Int(info.st_size)
}

@Suite("Request log files")
struct RequestLogStoreTests {
    @Test func appendedRecordsReadBackNewestFirst() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let state = StateDirectory(path: dir.path)
        let writer = state.requestLogWriter()
        try writer.append([record(1), record(2)])
        try writer.append([record(3)])
        try writer.append([])
        try writer.sync()
        let page = try state.requestLog.page(countingAll: true)
        #expect(page.records == [record(3), record(2), record(1)])
        #expect(page.matchingCount == 3 && page.skippedLines == 0 && page.logExists)
        #expect(try state.requestLog.record(id: "r-2") == record(2))
        #expect(try state.requestLog.record(id: "r-9") == nil)
        let text = try String(contentsOfFile: state.requestLogPath + "/requests.jsonl", encoding: .utf8)
        #expect(text == record(1).jsonLine() + "\n" + record(2).jsonLine() + "\n" + record(3).jsonLine() + "\n")
        writer.close()
        try writer.append([record(4)])
        #expect(try state.requestLog.records(limit: 1) == [record(4)], "append reopens after close")
    }

    @Test func aMissingFolderMeansNothingRecordedYet() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let page = try StateDirectory(path: dir.path).requestLog.page(countingAll: true)
        #expect(!page.logExists && page.records.isEmpty && page.matchingCount == 0)
        #expect(try StateDirectory(path: dir.path).requestLog.record(id: "x") == nil)
    }

    @Test func folderAndFilesGetTheirModesDespiteTheUmask() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let old = umask(0)
        defer { umask(old) }
        let state = StateDirectory(path: dir.path)
        let writer = state.requestLogWriter(maxFileBytes: 600, maxFiles: 3)
        for number in 0..<10 { try writer.append([record(number)]) }
        #expect(mode(of: state.requestLogPath) == 0o750)
        #expect(mode(of: state.requestLogPath + "/requests.jsonl") == 0o640)
        #expect(mode(of: state.requestLogPath + "/requests.1.jsonl") == 0o640)
        #expect(mode(of: state.requestLogPath + "/requests.2.jsonl") == 0o640)
    }

    @Test func rotationKeepsOrderAndBoundsTheFiles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let state = StateDirectory(path: dir.path)
        let (writer, maxFileBytes) = smallRotatingWriter(state)
        for batch in 0..<50 {
            try writer.append((0..<3).map { record(100 + batch * 3 + $0) })
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: state.requestLogPath).sorted()
        #expect(files == ["requests.1.jsonl", "requests.2.jsonl", "requests.jsonl"])
        let total = files.map { size(of: state.requestLogPath + "/" + $0) }
        #expect(total.allSatisfy { $0 <= maxFileBytes }, "\(total)")
        #expect(total.reduce(0, +) <= 3 * maxFileBytes)
        let all = try state.requestLog.records()
        #expect(all.count >= 8, "at least two full files survive")
        #expect(all.first == record(249), "newest first")
        #expect(all.map(\.id) == (0..<all.count).map { "r-\(249 - $0)" }, "contiguous and ordered across files")
        // The first rotated file holds records older than the current one.
        let current = try String(contentsOfFile: state.requestLogPath + "/requests.jsonl", encoding: .utf8)
        #expect(current.hasSuffix(record(249).jsonLine() + "\n"))
    }

    @Test func preEncodedLinesRotateBetweenLinesAndReadBackInTimeOrder() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let state = StateDirectory(path: dir.path)
        let (writer, maxFileBytes) = smallRotatingWriter(state)
        func encoded(_ numbers: [Int]) -> [UInt8] {
            var lines: [UInt8] = []
            for number in numbers {
                record(number).appendJSON(to: &lines)
                lines.append(0x0A)
            }
            return lines
        }
        // Two "event loops" per flush, each batch in time order, interleaving in time.
        for flush in 0..<3 {
            let first = 100 + flush * 6
            try writer.appendEncoded(encoded([first, first + 2, first + 4]))
            try writer.appendEncoded(encoded([first + 1, first + 3, first + 5]))
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: state.requestLogPath).sorted()
        #expect(files == ["requests.1.jsonl", "requests.2.jsonl", "requests.jsonl"])
        for file in files {
            let text = try String(contentsOfFile: state.requestLogPath + "/" + file, encoding: .utf8)
            #expect(text.utf8.count <= maxFileBytes)
            #expect(text.hasSuffix("\n") && text.split(separator: "\n").allSatisfy { $0.hasPrefix("{") && $0.hasSuffix("}") })
        }
        let all = try state.requestLog.records()
        #expect(all.count >= 8)
        #expect(all.map(\.id) == all.sorted { $0.time > $1.time }.map(\.id), "newest first across loop batches")
        #expect(all.first?.id == "r-117")

        // A line longer than a whole file is dropped, the lines around it are kept.
        var huge = record(500)
        huge.error = String(repeating: "x", count: maxFileBytes)
        var lines = encoded([501])
        huge.appendJSON(to: &lines)
        lines.append(0x0A)
        lines += encoded([502])
        try writer.appendEncoded(lines)
        #expect(writer.droppedRecords == 1)
        #expect(try state.requestLog.records(limit: 2).map(\.id) == ["r-502", "r-501"])
    }

    @Test func aNewWriterAppendsAfterARestartAndKnowsTheSize() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let state = StateDirectory(path: dir.path)
        let lineBytes = record(10).jsonLine().utf8.count + 1
        let maxFileBytes = lineBytes * 3
        do {
            let first = state.requestLogWriter(maxFileBytes: maxFileBytes, maxFiles: 4)
            try first.append([record(10), record(11)])
        }
        let second = state.requestLogWriter(maxFileBytes: maxFileBytes, maxFiles: 4)
        try second.append([record(12)])
        #expect(size(of: state.requestLogPath + "/requests.jsonl") == 3 * lineBytes, "appended, not truncated")
        try second.append([record(13)])
        #expect(size(of: state.requestLogPath + "/requests.1.jsonl") == 3 * lineBytes, "rotated at the limit it knew from the old file")
        #expect(size(of: state.requestLogPath + "/requests.jsonl") == lineBytes)
        #expect(try state.requestLog.records().map(\.id) == ["r-13", "r-12", "r-11", "r-10"])
    }

    @Test func aSmallerMaxFilesDropsTheExtraOldFilesAtTheNextRotation() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let state = StateDirectory(path: dir.path)
        let lineBytes = record(10).jsonLine().utf8.count + 1
        let wide = state.requestLogWriter(maxFileBytes: lineBytes, maxFiles: 5)
        for number in 10..<15 { try wide.append([record(number)]) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: state.requestLogPath).count == 5)
        let narrow = state.requestLogWriter(maxFileBytes: lineBytes, maxFiles: 2)
        try narrow.append([record(15)])
        #expect(try FileManager.default.contentsOfDirectory(atPath: state.requestLogPath).sorted() == ["requests.1.jsonl", "requests.jsonl"])
        #expect(try state.requestLog.records().map(\.id) == ["r-15", "r-14"])
        let single = state.requestLogWriter(maxFileBytes: lineBytes, maxFiles: 1)
        try single.append([record(16)])
        #expect(try FileManager.default.contentsOfDirectory(atPath: state.requestLogPath) == ["requests.jsonl"])
        #expect(try state.requestLog.records().map(\.id) == ["r-16"])
    }

    @Test func oversizedRecordsLoseTheirBodiesOrAreDropped() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let state = StateDirectory(path: dir.path)
        let writer = state.requestLogWriter(maxFileBytes: 1000, maxFiles: 2)
        var withBody = record(1)
        withBody.responseBody = String(repeating: "x", count: 2000)
        var hopeless = record(2)
        hopeless.error = String(repeating: "e", count: 2000)
        try writer.append([withBody, hopeless, record(3)])
        #expect(writer.droppedRecords == 1)
        let records = try state.requestLog.records()
        #expect(records.map(\.id) == ["r-3", "r-1"])
        #expect(records[1].responseBody == nil && records[1].inputTokens == 1)
    }

    @Test func tornAndCorruptLinesAreSkippedAndCounted() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let state = StateDirectory(path: dir.path)
        let path = state.requestLogPath + "/requests.jsonl"
        let writer = state.requestLogWriter()
        try writer.append([record(1)])
        writer.close()
        // A corrupt line, then a line torn by a crash in the middle of an append.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data("not json at all\n\n".utf8))
        handle.write(Data(record(2).jsonLine().utf8.prefix(40)))
        handle.closeFile()
        var page = try state.requestLog.page(countingAll: true)
        #expect(page.records == [record(1)])
        #expect(page.skippedLines == 2)
        // After a restart the writer starts on a new line: only the torn line is lost.
        let restarted = state.requestLogWriter()
        try restarted.append([record(3)])
        page = try state.requestLog.page(countingAll: true)
        #expect(page.records == [record(3), record(1)])
        #expect(page.skippedLines == 2)
        #expect(try state.requestLog.record(id: "r-3") == record(3))
    }

    @Test func filtersAndLimitsApply() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let state = StateDirectory(path: dir.path)
        let lineBytes = record(10).jsonLine().utf8.count + 1
        let writer = state.requestLogWriter(maxFileBytes: lineBytes * 5, maxFiles: 20)
        var all: [RequestRecord] = []
        for number in 0..<30 {
            all.append(
                record(
                    number, model: number % 2 == 0 ? "gpt-4o-mini" : "claude-sonnet-4-5", account: "acc-\(number % 3)",
                    status: number % 5 == 0 ? 503 : (number % 7 == 0 ? 429 : 200)))
        }
        try writer.append(all)
        let reader = state.requestLog
        let newestFirst = Array(all.reversed())
        func check(_ filter: RequestLogFilter, limit: Int? = nil) throws {
            let expected = newestFirst.filter(filter.matches)
            let page = try reader.page(matching: filter, limit: limit, countingAll: true)
            #expect(page.records == Array(expected.prefix(limit ?? .max)), "\(filter)")
            #expect(page.matchingCount == expected.count, "\(filter)")
        }
        try check(RequestLogFilter())
        try check(RequestLogFilter(), limit: 4)
        try check(RequestLogFilter(since: base.addingTimeInterval(20)))
        try check(RequestLogFilter(since: base.addingTimeInterval(20)), limit: 3)
        try check(RequestLogFilter(until: base.addingTimeInterval(5)))
        try check(RequestLogFilter(model: "claude-sonnet-4-5"), limit: 2)
        try check(RequestLogFilter(account: "acc-1"))
        try check(RequestLogFilter(status: .exact(429)))
        try check(RequestLogFilter(status: .statusClass(5)), limit: 1)
        try check(RequestLogFilter(since: base.addingTimeInterval(10), model: "gpt-4o-mini", status: .statusClass(2)))
        #expect(try reader.records(matching: RequestLogFilter(kind: .warmup)).isEmpty)
        let stopped = try reader.page(limit: 2)
        #expect(stopped.records.map(\.id) == ["r-29", "r-28"] && stopped.matchingCount == nil, "stops at the limit unless counting")
    }

    @Test func errorsNameTheFileAndTheStep() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let blocker = dir.path + "/not-a-folder"
        try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
        let writer = RequestLogWriter(directory: blocker + "/requests")
        #expect {
            try writer.append([record(1)])
        } throws: { error in
            guard let error = error as? RequestLogError, case .writeFailed(let path, let step, _) = error else { return false }
            return path == blocker + "/requests" && step == "create folder" && error.description.contains(blocker + "/requests")
        }
        #expect(throws: RequestLogError.self) { try RequestLogReader(directory: blocker).records() }
    }
}
