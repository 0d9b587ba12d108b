import ArgumentParser
import Assay
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The `assay` command-line tool.
///
/// Exit status: 0 on success, 2 for bad input or usage (the message names the file, line or column),
/// 1 for an internal error.
@main
struct AssayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assay",
        abstract: "Evaluate LLM outputs with MLflow-compatible metrics, in one fast binary.",
        subcommands: [
            EvaluateCommand.self, CompareCommand.self, GateCommand.self, MetricsCommand.self, JudgeCommand.self, RunsCommand.self,
            ServerCommand.self, GCCommand.self,
        ])

    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as AssayError {
            printError("error: \(FlagHints.message(error))")
            Foundation.exit(error.kind == .internal ? 1 : 2)
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)
            }
            printError(fullMessage(for: error))
            Foundation.exit(code == .validationFailure || code.rawValue == 64 ? 2 : 1)
        }
    }
}

func printError(_ message: String) {
    writeStandardError(message + "\n")
}

func writeStandardError(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
}
