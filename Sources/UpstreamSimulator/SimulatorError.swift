import Foundation

/// Errors raised by the simulator's configuration handling and admin API.
///
/// Each case maps to a 4xx HTTP answer with a JSON body when it reaches the admin API.
public enum SimulatorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The configuration (file or admin body) is inconsistent; the message names the field.
    case invalidConfiguration(String)
    /// A client body or parameter could not be understood.
    case invalidRequest(String)
    /// The admin API was asked about a key that is not configured.
    case unknownKey(String)
    /// The admin API was asked about a refresh token that is not configured.
    case unknownRefreshToken(String)
    /// A configuration file could not be read.
    case unreadableFile(path: String, reason: String)

    /// A one-line message for clients and logs.
    public var description: String {
        switch self {
        case .invalidConfiguration(let message): return "invalid configuration: \(message)"
        case .invalidRequest(let message): return message
        case .unknownKey(let key): return "unknown key '\(key)'"
        case .unknownRefreshToken(let token): return "unknown refresh token '\(token)'"
        case .unreadableFile(let path, let reason): return "cannot read '\(path)': \(reason)"
        }
    }

    /// The HTTP status the admin API answers with for this error.
    var httpStatus: Int {
        switch self {
        case .invalidConfiguration, .invalidRequest, .unreadableFile: return 400
        case .unknownKey, .unknownRefreshToken: return 404
        }
    }
}
