import Foundation
import QuotaState

/// Test support for the state store, run as separate processes by QuotaStateTests:
///
///   quota-state-stress rewrite FILE        rewrite FILE forever with versions 1, 2, 3… (until killed)
///   quota-state-stress increment FILE N    increment the counter in FILE N times via read-modify-write
struct Versioned: Codable, Sendable {
    var version: Int
    /// Padding that makes a torn write detectable: every element must equal `version`.
    var payload: [Int]
}

struct Counter: Codable, Sendable {
    var count: Int
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    FileHandle.standardError.write(Data("usage: quota-state-stress rewrite FILE | increment FILE N\n".utf8))
    exit(2)
}
switch arguments[1] {
case "rewrite":
    let file = AtomicJSONFile<Versioned>(path: arguments[2])
    var version = (try? file.read())?.version ?? 0
    FileHandle.standardOutput.write(Data("started\n".utf8))
    while true {
        version += 1
        try file.write(Versioned(version: version, payload: Array(repeating: version, count: 2000)))
    }
case "increment":
    let file = AtomicJSONFile<Counter>(path: arguments[2])
    let times = Int(arguments[3]) ?? 0
    for _ in 0..<times {
        try file.update { (value: inout Counter?) in
            value = Counter(count: (value?.count ?? 0) + 1)
        }
    }
default:
    exit(2)
}
