/// One entry of a `monitored_models` list.
public enum ModelPattern: Sendable, Hashable, CustomStringConvertible {
    /// `"*"`: every model.
    case any
    /// A model or protection-group name.
    case name(String)

    /// Parses a list entry: `"*"` is ``any``, everything else a name.
    public init(_ text: String) {
        self = text == "*" ? .any : .name(text)
    }

    public var description: String {
        switch self {
        case .any: "*"
        case .name(let name): name
        }
    }
}
