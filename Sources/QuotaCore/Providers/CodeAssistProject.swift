import Foundation

/// Code Assist project discovery (SPEC 2.7): a `gemini-code-assist` account calls the model
/// inside a Google Cloud project, which `loadCodeAssist` names (`cloudaicompanionProject`). The
/// proxy asks once, on the account's first use, and keeps the answer in the account file
/// (`project_id`).
public enum CodeAssistProject {
    /// The `loadCodeAssist` method name (`{base}/v1internal:loadCodeAssist`).
    public static let method = "loadCodeAssist"

    /// The request body: client metadata only, with no vendor's identity in it.
    public static let requestBody = Array(
        #"{"metadata":{"ideType":"IDE_UNSPECIFIED","platform":"PLATFORM_UNSPECIFIED","pluginType":"GEMINI"}}"#.utf8)

    /// Why no project came out of an answer.
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// The body is not a JSON object.
        case malformed
        /// The answer names no project: the Google account was never set up for Code Assist.
        case noProject

        public var description: String {
            switch self {
            case .malformed: "loadCodeAssist answered something that is not a JSON object"
            case .noProject:
                "loadCodeAssist named no project for this account: set \"project_id\" in the account file, or set the account up for Code Assist once with Google's own CLI"
            }
        }
    }

    /// The project from a `loadCodeAssist` answer: `cloudaicompanionProject` as a string or an
    /// object with `id` (peers also saw `projectId` and `project`).
    public static func parse(_ body: [UInt8]) -> Result<String, Problem> {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return .failure(.malformed) }
        for key in ["cloudaicompanionProject", "projectId", "project"] {
            if let text = object[key] as? String, isUsable(text) { return .success(text) }
            if let nested = object[key] as? [String: Any], let id = nested["id"] as? String, isUsable(id) { return .success(id) }
        }
        return .failure(.noProject)
    }

    /// A project id is short printable text (it is written into request bodies).
    static func isUsable(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 256 && id.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }
    }
}
