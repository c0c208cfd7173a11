/// The format of `client_api_keys_file` (the package's `/etc/quota-proxy/client-keys`): one client
/// key per line; blank lines and lines starting with `#` are skipped; spaces, tabs and a `\r` around
/// a key are ignored. A key is 1–512 visible ASCII characters (what an `Authorization: Bearer`
/// header can carry). Problems name the file and the line, never the text of a key.
public enum ClientKeyFile {
    /// The largest file read: the keys are compared one by one on every request, so a key file is
    /// small; anything larger is a mistake (a wrong path), not a key list.
    public static let maxBytes = 64 * 1024
    /// The most keys a file may hold.
    public static let maxKeys = 1000
    /// The longest key.
    public static let maxKeyLength = 512

    /// The keys in `contents`, in file order, each once.
    /// - Parameter file: the path, for the problems' messages.
    /// - Throws: every problem at once, each keyed `client_api_keys_file`.
    public static func parse(_ contents: [UInt8], file: String) throws(ConfigurationError) -> [String] {
        var problems: [ConfigurationProblem] = []
        func fail(_ message: String) {
            problems.append(ConfigurationProblem(key: "client_api_keys_file", message: "\(file) \(message)"))
        }
        guard contents.count <= maxBytes else {
            fail("is larger than \(maxBytes) bytes; it must hold one client key per line")
            throw ConfigurationError(file: nil, problems: problems)
        }
        var keys: [String] = []
        var seen = Set<String>()
        var lineNumber = 0
        for rawLine in contents.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = trimmed(rawLine)
            if line.isEmpty || line.first == UInt8(ascii: "#") { continue }
            if let bad = line.first(where: { !(0x21...0x7E).contains($0) }) {
                let what = bad == 0x20 || bad == 0x09 ? "a space inside the key" : "a character that is not visible ASCII"
                fail("line \(lineNumber): \(what); write one key per line")
                continue
            }
            if line.count > maxKeyLength {
                fail("line \(lineNumber): the key is longer than \(maxKeyLength) characters")
                continue
            }
            let key = String(decoding: line, as: UTF8.self)
            guard seen.insert(key).inserted else { continue }
            keys.append(key)
        }
        if keys.count > maxKeys {
            fail("holds \(keys.count) keys; at most \(maxKeys) are allowed")
        }
        guard problems.isEmpty else { throw ConfigurationError(file: nil, problems: problems) }
        return keys
    }

    private static func trimmed(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        let blank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
        guard let first = line.firstIndex(where: { !blank($0) }), let last = line.lastIndex(where: { !blank($0) }) else {
            return []
        }
        return line[first...last]
    }
}
