import Assay
import AssayStoreREST
import AssayStoreSQLite
import AssayTesting
import Foundation
import Testing

@Suite struct RunRecorderTests {
    @Test func anEvaluationBecomesARunWithMetricsParamsInputsAndArtifacts() async throws {
        let folder = try TemporaryFolder()
        let store = try SQLiteTrackingStore(path: folder.path("assay.db"))
        let data = Dataset(
            name: "qa.jsonl", columns: ["inputs", "ground_truth", "predictions"],
            rows: [["What is 2+2?", "4", "4"], ["Capital of France?", "Paris", "Lyon"]])
        var result = try await evaluate(
            data, targets: "ground_truth", predictions: "predictions", modelType: .questionAnswering, extraMetrics: [.bleu])
        #expect(result.startTime > 0 && result.startTime <= MetricPoint.now())
        // The run spans the evaluation (a web UI once showed 0.0 s for every run): pretend it took 2.5 s.
        result.startTime -= 2_500
        let repository = LocalArtifactRepository(root: folder.url.appendingPathComponent("artifacts"))
        let recorder = RunRecorder(store: store, artifacts: repository)
        var details = RunRecorder.Details()
        details.params = [KeyValue("model", "openai:/gpt-4o-mini")]
        details.dataset = DatasetInput(name: "qa.jsonl", digest: "abcd1234", sourceType: "local", source: "{\"path\": \"qa.jsonl\"}")
        details.files = [(path: "model/spec.yaml", contents: "model: openai:/gpt-4o-mini\n")]
        let info = try await recorder.record(result, experiment: "llm-eval-demo", runName: "baseline", details: details)

        #expect(info.status == .finished)
        #expect(info.name == "baseline")
        #expect(info.startTime == result.startTime && (info.endTime ?? 0) - info.startTime >= 2_500)
        let experiment = try #require(try await store.experiment(named: "llm-eval-demo"))
        #expect(info.experimentID == experiment.id)
        let run = try await store.run(id: info.id)
        let metrics = Dictionary(uniqueKeysWithValues: run.metrics.map { ($0.key, $0) })
        #expect(metrics["exact_match/v1"]?.value == 0.5)
        #expect(metrics["exact_match/v1"]?.step == 0)
        #expect(Set(metrics.keys) == Set(result.metricKeys))
        #expect(run.params.contains(KeyValue("model", "openai:/gpt-4o-mini")))
        #expect(run.params.contains(KeyValue("model_type", "question-answering")))
        #expect(run.params.contains(KeyValue("dataset_digest", "abcd1234")))
        #expect(run.tags.contains(KeyValue("mlflow.loggedArtifacts", "[{\"path\": \"eval_results_table.json\", \"type\": \"table\"}]")))
        #expect(run.inputs.map(\.digest) == ["abcd1234"])
        let artifacts = try repository.folder(of: run.info)
        #expect(artifacts.path.hasSuffix("artifacts/\(experiment.id)/\(info.id)/artifacts"))
        let table = try String(contentsOf: artifacts.appendingPathComponent("eval_results_table.json"), encoding: .utf8)
        #expect(table == (try result.table.jsonString()))
        #expect(FileManager.default.fileExists(atPath: artifacts.appendingPathComponent("model/spec.yaml").path))
        #expect(!FileManager.default.fileExists(atPath: artifacts.appendingPathComponent("genai_custom_metrics.json").path))
        #expect(try await repository.files(under: "", of: run.info) == ["eval_results_table.json", "model/spec.yaml"])
        #expect(try await repository.read("model/spec.yaml", of: run.info) == Data("model: openai:/gpt-4o-mini\n".utf8))

        // A second evaluation into the same experiment is a second run.
        _ = try await recorder.record(result, experiment: "llm-eval-demo", runName: nil)
        #expect(try await store.runs(in: [experiment.id], view: .activeOnly).count == 2)
    }
}

/// Runs recorded in any store compare the same way: the per-row tables come back through the
/// store's artifacts (a folder, or a server's artifact proxy).
@Suite struct ComparisonFromStoresTests {
    @Test(arguments: Backend.available)
    func recordedRunsCompareThroughTheirStore(backend: Backend) async throws {
        try await backend.withStore { store in
            let folder = try TemporaryFolder()
            let artifacts: any ArtifactRepository =
                (store as? RESTTrackingStore)?.artifacts ?? LocalArtifactRepository(root: folder.url.appendingPathComponent("artifacts"))
            let recorder = RunRecorder(store: store, artifacts: artifacts)
            var ids: [String] = []
            for (name, right) in [("baseline", 10), ("candidate", 30)] {
                let data = Dataset(
                    name: "qa.jsonl", columns: ["inputs", "ground_truth", "predictions"],
                    rows: (0..<30).map { i in [.string("q\(i)"), .string("a\(i)"), .string(i < right ? "a\(i)" : "no")] })
                let result = try await evaluate(data, targets: "ground_truth", predictions: "predictions", modelType: .questionAnswering)
                ids.append(try await recorder.record(result, experiment: "compare", runName: name).id)
            }
            let baseline = try await ComparedRun.load(try await store.run(idPrefix: String(ids[0].prefix(6))), artifacts: artifacts)
            let candidate = try await ComparedRun.load(try await store.run(id: ids[1]), artifacts: artifacts)
            let comparison = try await RunComparison.compare(baseline, candidate)
            #expect(comparison.pairedRows == 30)
            let exact = try #require(comparison.metric("exact_match/v1"))
            #expect(exact.test == .mcNemar && exact.verdict == .better && exact.difference == 20.0 / 30)
            // A run without a table says so.
            let bare = try await store.createRun(in: "0", named: "bare", startTime: 1, userID: nil, tags: [])
            await #expect { try await ComparedRun.load(try await store.run(id: bare.id), artifacts: artifacts) } throws: { error in
                "\(error)".contains("no per-row results to compare")
            }
        }
    }
}
