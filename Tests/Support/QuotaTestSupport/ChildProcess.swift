import Foundation
import Glibc

/// A program a test runs to completion (a script, a command-line tool) within a time limit.
///
/// The program runs in a process group of its own, so what it starts in turn is reached too: when
/// the time limit passes, the whole group gets `SIGTERM`, then (after the grace period) `SIGKILL`;
/// processes of the group still running after the program itself exited are reported in
/// ``Outcome/leftBehind`` and killed. Its output goes to files (a full pipe can never stall it; a
/// grandchild holding the output open can never stall the test), read once it has exited.
///
/// Waiting never occupies a thread of Swift concurrency's cooperative pool: `waitpid` runs on a
/// thread of its own, and the waiting task is suspended until it or the time limit wakes it (see
/// ``BlockingCall``).
///
/// ```swift
/// let outcome = try await ChildProcess.run("/usr/bin/prlimit", ["--pid", "\(pid)", "--nofile=64:64"])
/// #expect(outcome.succeeded, "\(outcome)")
/// ```
public enum ChildProcess {
    /// How the program ended and what it wrote.
    public struct Outcome: Sendable, CustomStringConvertible {
        /// How a process ended.
        public enum Termination: Sendable, Equatable {
            /// It exited with this status.
            case exited(Int32)
            /// A signal ended it.
            case signalled(Int32)
        }

        /// The program as run (path and arguments), for messages.
        public var command: String
        /// How it ended (after the time limit: by the signal that stopped it, or its own exit).
        public var termination: Termination
        /// Whether the time limit passed before it exited (it was then stopped).
        public var timedOut: Bool
        /// Process ids of its process group still running after it exited (they were killed).
        public var leftBehind: [Int32]
        /// What it wrote to standard output.
        public var standardOutput: String
        /// What it wrote to standard error.
        public var standardError: String

        /// The exit status as a shell reports it: the status, or 128 + the signal number.
        public var status: Int32 {
            switch termination {
            case .exited(let status): return status
            case .signalled(let signal): return 128 + signal
            }
        }

        /// Exited 0 within the time limit.
        public var succeeded: Bool { termination == .exited(0) && !timedOut }

        /// Everything about the run, for failure messages.
        public var description: String {
            var text = "\(command): \(termination)"
            if timedOut { text += " (stopped: over its time limit)" }
            if !leftBehind.isEmpty { text += " (left processes \(leftBehind) running; killed)" }
            return text + "\n--- stdout\n\(standardOutput)\n--- stderr\n\(standardError)"
        }
    }

    /// Runs `executable` with `arguments` and waits for it to exit, at most `timeLimit`; after
    /// that its process group gets `SIGTERM` and, `gracePeriod` later, `SIGKILL` (at once with a
    /// zero grace period), and the outcome says ``Outcome/timedOut``.
    /// - Parameters:
    ///   - environment: the whole environment (default: this process's).
    ///   - directory: the working directory (default: this process's).
    ///   - input: what it reads on standard input (default: nothing, `/dev/null`).
    /// - Throws: when the program cannot be started (no such file, not executable).
    public static func run(
        _ executable: String, _ arguments: [String] = [], environment: [String: String] = ProcessInfo.processInfo.environment,
        directory: String? = nil, input: String? = nil, timeLimit: Duration = .seconds(60), gracePeriod: Duration = .zero
    ) async throws -> Outcome {
        let files = try TemporaryDirectory()
        defer { files.remove() }
        let stdoutPath = files.path + "/stdout"
        let stderrPath = files.path + "/stderr"
        var inputPath = "/dev/null"
        if let input {
            inputPath = files.path + "/stdin"
            try Data(input.utf8).write(to: URL(fileURLWithPath: inputPath))
        }
        let group = try spawn(
            executable, arguments, environment: environment, directory: directory,
            standardInput: inputPath, standardOutput: stdoutPath, standardError: stderrPath)
        // `waitpid` blocks: on a thread of its own. It reports the program's own exit, whatever
        // its children still do.
        let exited = BlockingCall.start { () -> Outcome.Termination in
            var status: Int32 = 0
            while waitpid(group, &status, 0) == -1 {
                guard errno == EINTR else { return .exited(-1) }  // (reaped by someone else: not expected)
            }
            return status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signalled(status & 0x7f)
        }

        var termination = await exited.value(within: timeLimit)
        let timedOut = termination == nil
        if termination == nil {
            if gracePeriod > .zero {
                kill(-group, SIGTERM)
                termination = await exited.value(within: gracePeriod)
            }
            kill(-group, SIGKILL)
            termination = await exited.value()
        }
        let strays = timedOut ? [] : members(ofProcessGroup: group)
        if !strays.isEmpty { kill(-group, SIGKILL) }
        return Outcome(
            command: ([executable] + arguments).joined(separator: " "), termination: termination!, timedOut: timedOut,
            leftBehind: strays,
            standardOutput: (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "",
            standardError: (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "")
    }

    /// Starts the program with `posix_spawn` as the leader of a new process group, with no signal
    /// blocked and every signal's default action, its standard files opened on the given paths,
    /// and no other descriptor of the test process. (Foundation's `Process` does not do for this:
    /// on this toolchain its children start with nearly every signal blocked, `SIGTERM` included,
    /// and it reports an exit only once every process holding a socket it passes on has exited,
    /// a grandchild too.)
    private static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String], directory: String?,
        standardInput: String, standardOutput: String, standardError: String
    ) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, standardInput, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, standardOutput, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, standardError, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if let closeFrom = GNUSpawnActions.addCloseFrom { _ = closeFrom(&actions, 3) }
        if let directory {
            guard let addChdir = GNUSpawnActions.addChdir else {
                throw POSIXError(.ENOSYS, userInfo: [NSLocalizedDescriptionKey: "this C library cannot start \(executable) in \(directory)"])
            }
            _ = addChdir(&actions, directory)
        }

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in envp { free(pointer) } }
        var pid: pid_t = 0
        let failure = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard failure == 0 else {
            throw POSIXError(
                POSIXErrorCode(rawValue: failure) ?? .EIO,
                userInfo: [NSLocalizedDescriptionKey: "cannot start \(executable): \(String(cString: strerror(failure)))"])
        }
        return pid
    }

    /// Live (not zombie) processes whose process group is `group`, from `/proc/PID/stat`.
    static func members(ofProcessGroup group: Int32) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let end = stat.lastIndex(of: ")")
            else { return nil }
            // "PID (COMM) STATE PPID PGRP …": COMM may hold spaces and parentheses.
            let fields = stat[stat.index(after: end)...].split(separator: " ")
            guard fields.count > 2, fields[0] != "Z", fields[0] != "X", Int32(fields[2]) == group else { return nil }
            return pid
        }.sorted()
    }
}

/// glibc's `posix_spawn_file_actions_addchdir_np` and `…_addclosefrom_np`, which the Glibc module
/// does not import: looked up at run time.
private enum GNUSpawnActions {
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    static let addChdir: AddChdir? = symbol("posix_spawn_file_actions_addchdir_np").map { unsafeBitCast($0, to: AddChdir.self) }
    static let addCloseFrom: AddCloseFrom? = symbol("posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: AddCloseFrom.self)
    }

    private static func symbol(_ name: String) -> UnsafeMutableRawPointer? {
        dlsym(dlopen(nil, RTLD_NOW), name)
    }
}
