import ArgumentParser
import Assay
import AssayStoreSQLite
import Foundation

/// `assay runs`: the recorded evaluations.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs", abstract: "List and show recorded evaluation runs.", subcommands: [List.self, Show.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the runs of an experiment, newest first.")

        @Option(help: "The experiment (default: all).") var experiment: String?
        @OptionGroup var tracking: TrackingOptions

        func run() async throws {
            try await tracking.using { connection in try await list(try await connection.open().store) }
        }

        private func list(_ store: any TrackingStore) async throws {
            var experiments = try await store.experiments(view: .activeOnly)
            if let experiment {
                guard let found = try await store.experiment(named: experiment) else {
                    throw AssayError.invalidInput(
                        "no experiment named '\(experiment)'; experiments: \(experiments.map { "'\($0.name)'" }.joined(separator: ", "))")
                }
                experiments = [found]
            }
            let names = Dictionary(uniqueKeysWithValues: experiments.map { ($0.id, $0.name) })
            let runs = try await store.runs(in: experiments.map(\.id), view: .activeOnly)
            guard !runs.isEmpty else {
                print("No runs yet. Every `assay evaluate` records one.")
                return
            }
            var rows = [["run id", "name", "experiment", "status", "started", "seconds"]]
            for run in runs {
                let seconds = run.endTime.map { String(format: "%.1f", (Double($0) - Double(run.startTime)) / 1000) } ?? ""
                rows.append([
                    run.id, run.name, names[run.experimentID] ?? run.experimentID, run.status.rawValue,
                    Self.date(run.startTime), seconds,
                ])
            }
            print(TextTable.render(rows, maxWidth: 40))
        }

        static func date(_ milliseconds: Int64) -> String {
            let formatter = DateFormatter()
            formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
            formatter.timeZone = TimeZone(identifier: "UTC")
            return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000)) + " UTC"
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a run: params, metrics, tags, inputs and artifacts.")

        @Argument(help: "The run id (or a unique prefix of it).") var runID: String
        @OptionGroup var tracking: TrackingOptions

        func run() async throws {
            try await tracking.using { connection in
                let (store, artifacts) = try await connection.open()
                try await show(store, artifacts)
            }
        }

        private func show(_ store: any TrackingStore, _ artifacts: any ArtifactRepository) async throws {
            let experiments = try await store.experiments(view: .all)
            let run = try await store.run(idPrefix: runID)
            let experiment = experiments.first { $0.id == run.info.experimentID }
            print("Run \(run.info.id) (\(run.info.name)) in experiment '\(experiment?.name ?? run.info.experimentID)'")
            print(
                "Status \(run.info.status.rawValue), started \(List.date(run.info.startTime))"
                    + (run.info.endTime.map { String(format: ", took %.1f s", (Double($0) - Double(run.info.startTime)) / 1000) } ?? ""))
            print("\nParams:")
            print(TextTable.render([["key", "value"]] + run.params.map { [$0.key, $0.value] }, maxWidth: 70))
            print("\nMetrics:")
            print(TextTable.render([["key", "value"]] + run.metrics.map { [$0.key, Summary.format($0.value)] }, maxWidth: 70))
            print("\nTags:")
            print(TextTable.render([["key", "value"]] + run.tags.map { [$0.key, $0.value] }, maxWidth: 70))
            for input in run.inputs { print("\nDataset: \(input.name) (digest \(input.digest)) from \(input.source)") }
            let files = try await artifacts.files(under: "", of: run.info)
            print("\nArtifacts in \(artifacts.location(of: run.info)):")
            for file in files { print("  \(file)") }
        }
    }
}
