import ArgumentParser
import Foundation
import Glibc

/// A file the operator names on the command line (`accounts import FILE`, `--api-key-file`),
/// read with a size cap so `/dev/zero` or a huge file cannot exhaust memory. Pipes and
/// `/dev/stdin` work (the operator chose them); anything over the cap is a usage error.
enum InputFile {
    /// The cap of `accounts import` (16 MiB: thousands of accounts).
    static let importLimit = 16 << 20
    /// The cap of `--api-key-file` (64 KiB).
    static let keyLimit = 64 << 10

    static func read(_ path: String, limit: Int, what: String) throws -> Data {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { throw ValidationError("cannot read \(what) \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
            throw ValidationError("cannot read \(what) \(path): it is a folder")
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while bytes.count <= limit {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, min($0.count, limit + 1 - bytes.count)) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ValidationError("cannot read \(what) \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        guard bytes.count <= limit else {
            throw ValidationError("\(what) \(path) is larger than \(limit >> 10) KiB; is it the right file?")
        }
        return Data(bytes)
    }
}
