import ArgumentParser
import Assay
import Foundation

/// `assay gc`: forgets deleted runs for good, with their artifacts (MLflow's `mlflow gc`).
struct GCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Permanently remove deleted runs and their artifacts (a local folder or an S3 bucket).",
        discussion: """
            Runs deleted in the web UI or with the mlflow client stay in the bin until this removes them, with
            everything logged to them and their files. Example:
              assay gc --older-than 720 --tracking-uri postgresql://… --artifacts-destination s3://team/artifacts
            Run it where the database is reachable (not through a tracking server: MLflow's API cannot delete files).
            """)

    @Option(help: "Only runs that started at least this many hours ago.")
    var olderThan: Double?

    @Option(name: .customLong("run-ids"), help: "Only these runs (comma-separated ids), which must be deleted.")
    var runIDs: String?

    @Flag(help: "List what would be removed, and remove nothing.")
    var dryRun = false

    @OptionGroup var tracking: TrackingOptions

    func run() async throws {
        try await tracking.using { connection in
            let (store, artifacts) = try await connection.open()
            guard let purging = store as? any PurgingStore else {
                throw AssayError.invalidInput("\(tracking.uri) cannot remove runs; run `assay gc` against the database itself")
            }
            let experiments = try await store.experiments(view: .all).map(\.id)
            var runs = try await store.runs(in: experiments, view: .deletedOnly)
            if let runIDs {
                let wanted = Set(runIDs.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                let deleted = Set(runs.map(\.id))
                if let active = wanted.subtracting(deleted).sorted().first {
                    throw AssayError.invalidInput("run \(active) is not a deleted run; delete it first")
                }
                runs = runs.filter { wanted.contains($0.id) }
            }
            if let olderThan {
                guard olderThan >= 0 else { throw ValidationError("--older-than must be zero or more hours") }
                let cutoff = MetricPoint.now() - Int64(olderThan * 3_600_000)
                runs = runs.filter { $0.startTime <= cutoff }
            }
            guard !runs.isEmpty else {
                print("No deleted runs to remove.")
                return
            }
            for run in runs {
                if dryRun {
                    print("would remove \(run.id) (\(run.name)) and \(artifacts.location(of: run))")
                    continue
                }
                // Files first: a run whose files could not be deleted stays, to be tried again.
                try await artifacts.deleteAll(of: run)
                try await purging.purgeRun(id: run.id)
                print("removed \(run.id) (\(run.name)) and \(artifacts.location(of: run))")
            }
        }
    }
}
