import Foundation
import Glibc

/// The names of the temporary files ``AtomicJSONFile`` writes before renaming them over the real
/// file: `.<name>.tmp-<pid>-<random>` in the same folder.
///
/// A writer killed between creating its temporary file and the rename leaves one behind; it never
/// replaces the real file, and ``StateDirectory/removeStaleTemporaryFiles(now:)`` deletes it at the
/// next start of a service. Only names of exactly this shape are ever deleted.
public enum TemporaryFileName {
    /// The temporary name for a write of `name` by this process.
    static func make(for name: String) -> String {
        ".\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// The id of the process that wrote `name`, when `name` is one of our temporary file names.
    public static func writer(of name: String) -> pid_t? {
        let bytes = Array(name.utf8)
        guard bytes.first == UInt8(ascii: "."), let marker = name.range(of: ".tmp-", options: .backwards),
            marker.lowerBound > name.startIndex
        else { return nil }
        let base = name[name.index(after: name.startIndex)..<marker.lowerBound]
        guard !base.isEmpty else { return nil }
        let parts = name[marker.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2,
            parts.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 10 && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }),
            let pid = pid_t(parts[0]), pid > 0, UInt32(parts[1]) != nil
        else { return nil }
        return pid
    }
}
