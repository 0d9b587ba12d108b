import Assay
import AssayStoreSQLite
import AssayTesting
import Foundation
import Testing

/// `assay gc` removes deleted runs for good, with their files, and nothing else.
@Suite struct GCCommandTests {
    @Test func deletedRunsGoWithTheirArtifactsAndActiveOnesStay() async throws {
        let folder = try TemporaryFolder()
        let database = folder.path("assay.db")
        for name in ["kept", "binned"] {
            let result = try await CommandLineTests.runDetached([
                "evaluate", "examples/qa.jsonl", "--targets", "ground_truth", "--predictions", "predictions", "--metrics", "exact_match",
                "--run-name", name, "--tracking-uri", database,
            ])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let store = try SQLiteTrackingStore(path: database)
        let runs = try await store.runs(in: ["0"], view: .all)
        let kept = try #require(runs.first { $0.name == "kept" })
        let binned = try #require(runs.first { $0.name == "binned" })
        let artifacts = LocalArtifactRepository(root: URL(fileURLWithPath: folder.path("assay-artifacts")))
        let binnedFolder = try artifacts.folder(of: binned).path
        #expect(FileManager.default.fileExists(atPath: binnedFolder))

        let nothing = try await CommandLineTests.runDetached(["gc", "--tracking-uri", database])
        #expect(nothing.status == 0 && nothing.stdout.contains("No deleted runs"), "\(nothing.stdout)\(nothing.stderr)")
        let active = try await CommandLineTests.runDetached(["gc", "--run-ids", kept.id, "--tracking-uri", database])
        #expect(active.status == 2 && active.stderr.contains("not a deleted run"), "\(active.stderr)")

        try await store.setRunLifecycle(id: binned.id, .deleted)
        let dry = try await CommandLineTests.runDetached(["gc", "--dry-run", "--tracking-uri", database])
        #expect(dry.status == 0 && dry.stdout.contains("would remove \(binned.id)"))
        #expect(FileManager.default.fileExists(atPath: binnedFolder))
        let recent = try await CommandLineTests.runDetached(["gc", "--older-than", "24", "--tracking-uri", database])
        #expect(recent.stdout.contains("No deleted runs"), "a run started moments ago is younger than a day")

        let removed = try await CommandLineTests.runDetached(["gc", "--tracking-uri", database])
        #expect(removed.status == 0 && removed.stdout.contains("removed \(binned.id)"), "\(removed.stdout)\(removed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: binnedFolder))
        #expect(await errorMessage { _ = try await store.run(id: binned.id) } != nil)
        #expect(try await store.run(id: kept.id).metrics.isEmpty == false)
        #expect(FileManager.default.fileExists(atPath: try artifacts.folder(of: kept).path))
    }
}
