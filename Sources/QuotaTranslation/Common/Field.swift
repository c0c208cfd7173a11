/// Typed access to decoded JSON with errors that name the field's path.
///
/// Paths are built only when an error is thrown (`@autoclosure`), so the happy path allocates no
/// strings for them.
enum Field {
    static func object(_ value: JSON, _ path: @autoclosure () -> String) throws(TranslationError) -> JSONObject {
        guard case .object(let object) = value else { throw .type(path(), expected: "an object", got: value) }
        return object
    }

    static func array(_ value: JSON, _ path: @autoclosure () -> String) throws(TranslationError) -> [JSON] {
        guard case .array(let array) = value else { throw .type(path(), expected: "an array", got: value) }
        return array
    }

    /// A string's characters (for names, ids, types: short strings).
    static func string(_ value: JSON, _ path: @autoclosure () -> String) throws(TranslationError) -> String {
        guard case .string(let string) = value else { throw .type(path(), expected: "a string", got: value) }
        return string.string
    }

    /// A string, or `nil` for JSON null.
    static func optionalString(_ value: JSON, _ path: @autoclosure () -> String) throws(TranslationError) -> String? {
        switch value {
        case .null: return nil
        case .string(let string): return string.string
        default: throw .type(path(), expected: "a string", got: value)
        }
    }

    /// A string as it is, not decoded (for texts that are passed on).
    static func text(_ value: JSON, _ path: @autoclosure () -> String) throws(TranslationError) -> JSONText {
        guard case .string(let string) = value else { throw .type(path(), expected: "a string", got: value) }
        return string
    }

    /// A text, or `nil` for JSON null.
    static func optionalText(_ value: JSON, _ path: @autoclosure () -> String) throws(TranslationError) -> JSONText? {
        switch value {
        case .null: return nil
        case .string(let string): return string
        default: throw .type(path(), expected: "a string", got: value)
        }
    }

    static func bool(_ value: JSON, _ path: @autoclosure () -> String) throws(TranslationError) -> Bool {
        guard case .bool(let flag) = value else { throw .type(path(), expected: "true or false", got: value) }
        return flag
    }

    /// A number's literal text, or `nil` for JSON null.
    static func number(_ value: JSON, _ path: @autoclosure () -> String) throws(TranslationError) -> String? {
        switch value {
        case .null: return nil
        case .number(let text): return text
        default: throw .type(path(), expected: "a number", got: value)
        }
    }

    /// A whole number, or `nil` for JSON null.
    static func int(_ value: JSON, _ path: @autoclosure () -> String) throws(TranslationError) -> Int? {
        if case .null = value { return nil }
        guard let int = value.intValue else { throw .type(path(), expected: "a whole number", got: value) }
        return int
    }

    /// A string or an array of strings (OpenAI `stop`).
    static func strings(_ value: JSON, _ path: @autoclosure () -> String) throws(TranslationError) -> [String]? {
        switch value {
        case .null: return nil
        case .string(let string): return [string.string]
        case .array(let elements):
            var result: [String] = []
            result.reserveCapacity(elements.count)
            for (index, element) in elements.enumerated() {
                guard case .string(let string) = element else {
                    throw .type("\(path())[\(index)]", expected: "a string", got: element)
                }
                result.append(string.string)
            }
            return result
        default: throw .type(path(), expected: "a string or an array of strings", got: value)
        }
    }

    static func unknown(_ path: String, from source: ChatProtocol, to target: ChatProtocol) -> TranslationError {
        .unsupported(path, "this \(source.displayName) field has no counterpart in \(target.displayName); remove it")
    }
}

/// Splits a `data:<media type>;base64,<data>` URL.
enum DataURL {
    /// The media type and base64 data, or `nil` when the URL is not a base64 data URL.
    static func parse(_ url: String) -> (mediaType: String, data: String)? {
        guard url.hasPrefix("data:"), let comma = url.utf8.firstIndex(of: UInt8(ascii: ",")) else { return nil }
        let header = url[url.index(url.startIndex, offsetBy: 5)..<comma]
        guard header.hasSuffix(";base64") else { return nil }
        var mediaType = header.dropLast(7)
        if let semicolon = mediaType.firstIndex(of: ";") { mediaType = mediaType[..<semicolon] }
        guard !mediaType.isEmpty else { return nil }
        return (String(mediaType), String(url[url.index(after: comma)...]))
    }

    static func isRemote(_ url: String) -> Bool {
        url.hasPrefix("https://") || url.hasPrefix("http://")
    }
}
