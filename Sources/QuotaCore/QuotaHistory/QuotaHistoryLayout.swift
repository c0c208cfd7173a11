/// The files of the quota history in the state folder, and how they rotate:
///
/// ```
/// quota-history.jsonl      the current file, appended to
/// quota-history.1.jsonl    the most recent rotated file
/// …
/// quota-history.<n>.jsonl  the oldest kept (n = maxFiles - 1)
/// ```
///
/// Before an append would push the current file past ``maxFileBytes`` the files shift by one (the
/// oldest is deleted), so the history never takes more than `maxFiles × maxFileBytes`. Both the
/// proxy and the refresher append, each under the folder's history lock.
public struct QuotaHistoryLayout: Sendable, Equatable {
    /// The file appended to.
    public static let currentFileName = "quota-history.jsonl"
    /// The lock file serializing appends and rotation of both writers.
    public static let lockFileName = ".quota-history.lock"

    /// The size at which the current file is rotated (default 2 MiB: about 10,000 changes).
    public var maxFileBytes: Int
    /// Files kept, the current one included (default 4).
    public var maxFiles: Int

    public init(maxFileBytes: Int = 2 << 20, maxFiles: Int = 4) {
        self.maxFileBytes = max(1024, maxFileBytes)
        self.maxFiles = max(1, maxFiles)
    }

    /// `quota-history.<number>.jsonl`; 1 is the most recent rotated file.
    public static func rotatedFileName(_ number: Int) -> String {
        "quota-history.\(number).jsonl"
    }

    /// The rotation number of a file name (`quota-history.2.jsonl` → 2), `nil` for other names.
    public static func rotationNumber(of name: String) -> Int? {
        let prefix = "quota-history.", suffix = ".jsonl"
        guard name.hasPrefix(prefix), name.hasSuffix(suffix), name.count > prefix.count + suffix.count else { return nil }
        let middle = name.dropFirst(prefix.count).dropLast(suffix.count)
        guard middle.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let number = Int(middle), number > 0 else { return nil }
        return number
    }

    /// Whether `incoming` bytes must go to a fresh file (the current one holds `currentSize`).
    public func needsRotation(currentSize: Int, incoming: Int) -> Bool {
        currentSize > 0 && currentSize + incoming > maxFileBytes
    }

    /// One file operation of a rotation.
    public enum Step: Sendable, Equatable {
        case delete(String)
        case rename(from: String, to: String)
    }

    /// The steps that rotate the files, given the rotation numbers present now: files beyond what
    /// is kept are deleted, the others shift by one, and the current file becomes number 1 (or is
    /// deleted when only one file is kept).
    public func rotationSteps(existing numbers: [Int]) -> [Step] {
        let oldest = maxFiles - 1
        var steps: [Step] = []
        for number in numbers.sorted() where number >= max(1, oldest) {
            steps.append(.delete(Self.rotatedFileName(number)))
        }
        if oldest >= 2 {
            for number in stride(from: oldest - 1, through: 1, by: -1) where numbers.contains(number) {
                steps.append(.rename(from: Self.rotatedFileName(number), to: Self.rotatedFileName(number + 1)))
            }
        }
        steps.append(oldest >= 1 ? .rename(from: Self.currentFileName, to: Self.rotatedFileName(1)) : .delete(Self.currentFileName))
        return steps
    }
}
