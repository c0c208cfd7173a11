/// An account id that is not of the allowed shape (``Account/isValidID(_:)``).
///
/// Ids name files (`accounts/<id>.json`), so every entry point checks them before any path is
/// built from one: the CLI, the control sockets and the account loaders. The message names the id
/// (escaped, shortened) and the allowed shape.
public struct InvalidAccountID: Error, Sendable, Equatable, CustomStringConvertible {
    /// The id as given.
    public var id: String

    /// The allowed shape, for messages and help texts.
    public static let allowedShape = "1–64 characters of A–Z a–z 0–9 . _ - that does not start with a dot"

    public init(id: String) {
        self.id = id
    }

    /// Throws when `id` is not a valid account id.
    public static func check(_ id: String) throws(InvalidAccountID) {
        guard Account.isValidID(id) else { throw InvalidAccountID(id: id) }
    }

    public var description: String {
        "invalid account id \"\(Self.printable(id))\": an account id is \(Self.allowedShape)"
    }

    /// The id with control characters, quotes and backslashes escaped and cut to 80 characters, so
    /// a hostile id cannot forge log lines or flood a terminal.
    static func printable(_ id: String) -> String {
        var text = ""
        for scalar in id.unicodeScalars.prefix(80) {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case _ where scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value < 0xA0):
                text += "\\u{\(String(scalar.value, radix: 16))}"
            default: text.unicodeScalars.append(scalar)
            }
        }
        return id.unicodeScalars.count > 80 ? text + "…" : text
    }
}
