import Foundation
import Glibc

/// A fresh folder under /tmp for one test (short paths: Unix socket paths are limited to 107 bytes).
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init() throws {
        var template = Array("/tmp/qp-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer -> String? in
            guard let result = mkdtemp(buffer.baseAddress!) else { return nil }
            return String(cString: result)
        }
        guard let created else { throw POSIXError(.EIO) }
        path = created
    }

    public func subdirectory(_ name: String) throws -> String {
        let sub = path + "/" + name
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        return sub
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
