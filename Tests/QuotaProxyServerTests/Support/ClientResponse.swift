import Foundation
import NIOCore

/// A response as the client received it on the wire, parsed by the test (not by the proxy's code).
struct ClientResponse {
    var status: Int
    /// Header fields in order, names lowercased.
    var headers: [(name: String, value: String)]
    var body: [UInt8]
    /// How the body was delimited.
    var framing: Framing

    enum Framing: Equatable {
        case contentLength
        case chunked
        /// No length: the body ran to the end of the connection.
        case untilClose
    }

    var bodyText: String { String(decoding: body, as: UTF8.self) }

    func header(_ name: String) -> String? {
        headers.first { $0.name == name.lowercased() }?.value
    }

    /// Parses one response from the front of `bytes`; `nil` while it is incomplete. On success the
    /// response's bytes are removed from `bytes`. With `connectionClosed`, a body without a length
    /// ends where the bytes end.
    static func parse(_ bytes: inout [UInt8], connectionClosed: Bool) -> ClientResponse? {
        guard let headEnd = find([13, 10, 13, 10], in: bytes, from: 0) else { return nil }
        let headText = String(decoding: bytes[..<headEnd], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        let headers = lines.compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var response = ClientResponse(status: status, headers: headers, body: [], framing: .contentLength)
        let bodyStart = headEnd + 4
        if status == 100 {
            bytes.removeFirst(bodyStart)
            return parse(&bytes, connectionClosed: connectionClosed)
        }
        if let length = response.header("content-length").flatMap(Int.init) {
            guard bytes.count - bodyStart >= length else { return nil }
            response.body = Array(bytes[bodyStart..<bodyStart + length])
            bytes.removeFirst(bodyStart + length)
            return response
        }
        if response.header("transfer-encoding")?.lowercased() == "chunked" {
            response.framing = .chunked
            var position = bodyStart
            var body: [UInt8] = []
            while true {
                guard let lineEnd = find([13, 10], in: bytes, from: position) else { return nil }
                let sizeText = String(decoding: bytes[position..<lineEnd], as: UTF8.self)
                guard let size = Int(sizeText.split(separator: ";")[0], radix: 16) else { return nil }
                let dataStart = lineEnd + 2
                guard bytes.count >= dataStart + size + 2 else { return nil }
                if size == 0 {
                    response.body = body
                    bytes.removeFirst(dataStart + 2)
                    return response
                }
                body += bytes[dataStart..<dataStart + size]
                position = dataStart + size + 2
            }
        }
        if status == 204 || status == 304 {
            bytes.removeFirst(bodyStart)
            return response
        }
        guard connectionClosed else { return nil }
        response.framing = .untilClose
        response.body = Array(bytes[bodyStart...])
        bytes.removeAll()
        return response
    }

    private static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        var index = start
        while index + needle.count <= bytes.count {
            if bytes[index] == needle[0] && Array(bytes[index..<index + needle.count]) == needle { return index }
            index += 1
        }
        return nil
    }
}
