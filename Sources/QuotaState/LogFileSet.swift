import Glibc

/// A rotated log in a folder: a current file appended to, and numbered older ones
/// (`<name>.1.jsonl` the most recent). Used for the request log and the quota history.
public struct LogFileSet: Sendable {
    public let directory: String
    public let currentFileName: String
    let rotationNumber: @Sendable (String) -> Int?
    let rotatedFileName: @Sendable (Int) -> String

    public init(
        directory: String, currentFileName: String, rotationNumber: @escaping @Sendable (String) -> Int?,
        rotatedFileName: @escaping @Sendable (Int) -> String
    ) {
        self.directory = directory
        self.currentFileName = currentFileName
        self.rotationNumber = rotationNumber
        self.rotatedFileName = rotatedFileName
    }

    /// The request log in `directory` (`requests.jsonl`, `requests.<n>.jsonl`).
    public static func requestLog(directory: String) -> LogFileSet {
        LogFileSet(
            directory: directory, currentFileName: RequestLogLayout.currentFileName,
            rotationNumber: { RequestLogLayout.rotationNumber(of: $0) }, rotatedFileName: { RequestLogLayout.rotatedFileName($0) })
    }

    /// The rotation numbers present, ascending (newest first); `nil` when the folder does not exist.
    public func rotationNumbers() throws(RequestLogError) -> [Int]? {
        guard let dir = opendir(directory) else {
            if errno == ENOENT { return nil }
            throw .unreadable(path: directory, errno: errno)
        }
        defer { closedir(dir) }
        var numbers: [Int] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if let number = rotationNumber(name) { numbers.append(number) }
        }
        return numbers.sorted()
    }

    /// The file names, newest first: the current file, then 1, 2, ….
    public func namesNewestFirst() throws(RequestLogError) -> [String]? {
        guard let numbers = try rotationNumbers() else { return nil }
        return [currentFileName] + numbers.map(rotatedFileName)
    }
}
