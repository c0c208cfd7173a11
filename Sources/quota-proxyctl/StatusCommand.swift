import ArgumentParser
import Foundation
import QuotaControl
import QuotaCore
import QuotaRuntime

/// `quota-proxyctl status`: is each service running, and what is it doing.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show whether each service runs, and its one-line status.",
        usage: "quota-proxyctl status [<options>]",
        discussion: """
            Asks quota-proxy, quota-scheduler and quota-refresher over their control sockets. \
            A service that does not answer is shown as not running; the exit code is then 3.
            """
    )

    @OptionGroup var options: ControlOptions

    func run() async throws {
        let runtime = options.runtimeDirectory
        let answers = await withTaskGroup(of: (ServiceIdentity, Result<JSONValue, ControlClientError>).self) { group in
            for identity in ServiceIdentity.allCases {
                group.addTask {
                    let client = ControlClient(path: runtime.socketPath(for: identity))
                    do throws(ControlClientError) {
                        return (identity, .success(try await client.send("status", timeout: .seconds(5))))
                    } catch {
                        return (identity, .failure(error))
                    }
                }
            }
            var answers: [ServiceIdentity: Result<JSONValue, ControlClientError>] = [:]
            for await (identity, answer) in group { answers[identity] = answer }
            return answers
        }

        let allRunning = answers.values.allSatisfy { if case .success = $0 { true } else { false } }
        if options.json {
            var object: [String: JSONValue] = [:]
            for identity in ServiceIdentity.allCases {
                switch answers[identity]! {
                case .success(let status):
                    var status = status.objectValue ?? [:]
                    status["running"] = true
                    object[identity.rawValue] = .object(status)
                case .failure(let error):
                    object[identity.rawValue] = ["running": false, "error": .string(error.description)]
                }
            }
            print(TerminalOutput.json(.object(object)))
        } else {
            var rows: [[String]] = []
            for identity in ServiceIdentity.allCases {
                switch answers[identity]! {
                case .success(let status):
                    let pid = status["pid"]?.intValue.map(String.init) ?? "?"
                    let uptime = TerminalOutput.duration(seconds: status["uptime_seconds"]?.intValue ?? 0)
                    let state = status["ready"]?.boolValue == false ? "starting" : "running"
                    rows.append([identity.rawValue, state, "pid \(pid)", "up \(uptime)", status["status"]?.stringValue ?? ""])
                case .failure(let error):
                    rows.append([identity.rawValue, "not running", "", "", error.description])
                }
            }
            print(TerminalOutput.table(rows), terminator: "")
        }
        if !allRunning { throw ExitCode(3) }
    }
}
