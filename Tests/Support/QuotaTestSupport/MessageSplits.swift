/// Ways to cut a message into socket reads, for parsers whose result must not depend on where
/// a read ends.
public enum MessageSplits {
    /// Every cut of `text` into two reads, plus one read per byte (as lists of read sizes).
    public static func everySplit(_ text: String) -> [[Int]] {
        let count = text.utf8.count
        return (1..<count).map { [$0] } + [Array(repeating: 1, count: count)]
    }

    /// The bytes of `text` in reads of the given sizes, the rest in one last read.
    public static func reads(of text: String, sizes: [Int]) -> [[UInt8]] {
        var rest = Array(text.utf8)[...]
        var reads: [[UInt8]] = []
        for size in sizes where !rest.isEmpty {
            reads.append(Array(rest.prefix(size)))
            rest = rest.dropFirst(size)
        }
        if !rest.isEmpty { reads.append(Array(rest)) }
        return reads
    }
}
