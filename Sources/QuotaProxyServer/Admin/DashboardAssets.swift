import Foundation

/// The dashboard's static files, read once at start (and again on reload) and served from memory,
/// so serving the page never touches the disk.
///
/// Only the files listed in ``files`` are served, each at most ``maximumFileBytes``.
struct DashboardAssets: Sendable {
    /// Served name → content type.
    static let files: [String: String] = [
        "index.html": "text/html; charset=utf-8",
        "dashboard.css": "text/css; charset=utf-8",
        "dashboard.js": "text/javascript; charset=utf-8",
    ]
    static let maximumFileBytes = 1 << 20
    /// Where the .deb installs the files.
    static let installedDirectory = "/usr/share/quota-proxy/dashboard"

    /// The folder read, `nil` when none was found.
    let directory: String?
    /// File name → bytes.
    let contents: [String: [UInt8]]
    /// Why the page cannot be served, for the log and the 503 answer; `nil` when all files loaded.
    let problem: String?

    /// Reads the files from `dashboard.assets_dir`, else the installed folder, else a `dashboard/`
    /// folder above the executable (a development build in `.build/…`).
    static func load(configured: String?, executablePath: String? = Self.executablePath()) -> DashboardAssets {
        guard let directory = resolveDirectory(configured: configured, executablePath: executablePath, exists: fileExists) else {
            return DashboardAssets(
                directory: nil, contents: [:],
                problem: "the dashboard's files were not found (looked in \(installedDirectory) and above the executable); set dashboard.assets_dir to the folder holding index.html")
        }
        var contents: [String: [UInt8]] = [:]
        var missing: [String] = []
        for name in files.keys.sorted() {
            let path = directory + "/" + name
            guard let data = FileManager.default.contents(atPath: path), data.count <= maximumFileBytes else {
                missing.append(name)
                continue
            }
            contents[name] = Array(data)
        }
        let problem =
            missing.isEmpty
            ? nil
            : "cannot read \(missing.joined(separator: ", ")) in \(directory) (dashboard.assets_dir), or larger than \(maximumFileBytes) bytes"
        return DashboardAssets(directory: directory, contents: contents, problem: problem)
    }

    /// The folder to read: `configured` when set; else the installed folder next to the
    /// executable's `../share` (`/usr/bin` → `/usr/share/quota-proxy/dashboard`); else the first
    /// `dashboard/` folder holding `index.html` in the executable's folder or one of its parents.
    static func resolveDirectory(configured: String?, executablePath: String?, exists: (String) -> Bool) -> String? {
        if let configured { return configured }
        var candidates: [String] = []
        if let executablePath {
            var folder = (executablePath as NSString).deletingLastPathComponent
            candidates.append(((folder as NSString).deletingLastPathComponent as NSString).appendingPathComponent("share/quota-proxy/dashboard"))
            candidates.append(installedDirectory)
            for _ in 0..<8 where folder != "/" && !folder.isEmpty {
                candidates.append((folder as NSString).appendingPathComponent("dashboard"))
                folder = (folder as NSString).deletingLastPathComponent
            }
        } else {
            candidates.append(installedDirectory)
        }
        return candidates.first { exists($0 + "/index.html") }
    }

    static func fileExists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }

    /// This process's executable, resolved through `/proc/self/exe`.
    static func executablePath() -> String? {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments.first
    }

    /// The file served at `name`, with its content type.
    func file(_ name: String) -> (contentType: String, body: [UInt8])? {
        guard let type = Self.files[name], let body = contents[name] else { return nil }
        return (type, body)
    }
}
