import Glibc

/// The files of the request log folder (`<state dir>/requests`):
///
/// ```
/// requests.jsonl       the current file, appended to
/// requests.1.jsonl     the most recent rotated file
/// …
/// requests.<n>.jsonl   the oldest kept (n = max_files - 1)
/// ```
public enum RequestLogLayout {
    /// The file the writer appends to.
    public static let currentFileName = "requests.jsonl"

    /// `requests.<number>.jsonl`; 1 is the most recent rotated file.
    public static func rotatedFileName(_ number: Int) -> String {
        "requests.\(number).jsonl"
    }

    /// The rotation number of a file name (`requests.3.jsonl` → 3), or `nil` for other names.
    static func rotationNumber(of name: String) -> Int? {
        guard name.hasPrefix("requests."), name.hasSuffix(".jsonl") else { return nil }
        let middle = name.dropFirst("requests.".count).dropLast(".jsonl".count)
        guard !middle.isEmpty, middle.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let number = Int(middle), number > 0
        else { return nil }
        return number
    }

    /// The rotation numbers present in `directory`, ascending (newest first); `nil` when the folder
    /// does not exist.
    static func rotationNumbers(in directory: String) throws(RequestLogError) -> [Int]? {
        try LogFileSet.requestLog(directory: directory).rotationNumbers()
    }
}
