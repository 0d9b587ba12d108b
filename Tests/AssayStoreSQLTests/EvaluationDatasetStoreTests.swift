import Assay
import AssayTesting
import Testing

/// Evaluation datasets and registered scorers in every store: records merged by their inputs, pages,
/// tags, experiment links; scorer versions and online configurations.
@Suite struct EvaluationDatasetStoreTests {
    @Test(arguments: Backend.available)
    func datasetsMergeRecordsByInputsAndPage(backend: Backend) async throws {
        try await backend.withStore { opened in
            let store = try #require(opened as? any EvaluationDatasetStore)
            let experiment = try await store.createExperiment(named: "golden", artifactLocation: nil, tags: []).id
            let golden = try await store.createDataset(named: "qa-golden", experimentIDs: [experiment], tags: ["team": "nlp"])
            #expect(golden.id.hasPrefix("d-") && golden.experimentIDs == [experiment] && golden.tags == ["team": "nlp"])
            func record(_ question: String, _ answer: String?, tags: [String: String] = [:]) -> EvaluationRecord {
                EvaluationRecord(
                    datasetID: golden.id, inputs: .object(["question": .string(question)]),
                    expectations: answer.map { .object(["expected_response": .string($0)]) }, tags: tags)
            }
            var counts = try await store.upsertRecords(datasetID: golden.id, (0..<5).map { record("q\($0)", "a\($0)") })
            #expect(counts == (5, 0))
            counts = try await store.upsertRecords(
                datasetID: golden.id,
                [
                    EvaluationRecord(
                        datasetID: golden.id, inputs: .object(["question": "q1"]), expectations: .object(["facts": .list(["x"])]),
                        tags: ["checked": "yes"]),
                    record("q9", nil),
                ])
            #expect(counts == (1, 1))
            let first = try await store.records(datasetID: golden.id, maxResults: 4, offset: 0)
            #expect(first.items.count == 4 && first.nextPageToken != nil)
            let rest = try await store.records(datasetID: golden.id, maxResults: 4, offset: 4)
            #expect(rest.items.count == 2 && rest.nextPageToken == nil)
            let merged = try #require(first.items.first { $0.inputs == .object(["question": "q1"]) })
            #expect(
                merged.expectations == .object(["expected_response": "a1", "facts": .list(["x"])]) && merged.tags == ["checked": "yes"])
            let stored = try await store.dataset(id: golden.id)
            #expect(stored.profile == #"{"num_records":6}"# && stored.digest != golden.digest, "\(stored)")

            let rows = try Dataset.records(first.items + rest.items, name: "qa-golden").rows()
            #expect(rows.first?.columns.names == ["question", "expected_response", "facts", "tags"] && rows.count == 6)

            #expect(try await store.deleteRecords(datasetID: golden.id, ids: [merged.id, "dr-nope"]) == 1)
            try await store.setDatasetTags(id: golden.id, ["stage": "dev", "team": nil])
            #expect(try await store.dataset(id: golden.id).tags == ["stage": "dev"])
            try await store.deleteDatasetTag(id: golden.id, key: "stage")
            let other = try await store.createExperiment(named: "elsewhere", artifactLocation: nil, tags: []).id
            try await store.addDataset(id: golden.id, toExperiments: [other, other])
            #expect(try await store.dataset(id: golden.id).experimentIDs.sorted() == [experiment, other].sorted())
            func search(_ experiments: [String], _ filter: String) async throws -> [String] {
                try await store.searchDatasets(
                    experimentIDs: experiments, filter: try SearchFilter(filter, for: .datasets), orderBy: ["name ASC"], maxResults: 10,
                    offset: 0
                ).items.map(\.name)
            }
            _ = try await store.createDataset(named: "scratch", experimentIDs: [experiment], tags: [:])
            #expect(try await search([experiment], "") == ["qa-golden", "scratch"])
            #expect(try await search([other], "") == ["qa-golden"])
            #expect(try await search([], "name LIKE 'qa-%' AND created_time > 0") == ["qa-golden"])
            try await store.removeDataset(id: golden.id, fromExperiments: [other])
            #expect(try await search([other], "").isEmpty)
            try await store.deleteDataset(id: golden.id)
            #expect(await errorMessage { _ = try await store.dataset(id: golden.id) }?.contains("not found") == true)
            #expect(await errorMessage { _ = try await store.upsertRecords(datasetID: golden.id, []) }?.contains("not found") == true)
            #expect(await errorMessage { _ = try await store.createDataset(named: "x", experimentIDs: ["404"], tags: [:]) } != nil)
        }
    }

    @Test(arguments: Backend.available)
    func scorersAreVersionedAndConfiguredForOnlineScoring(backend: Backend) async throws {
        try await backend.withStore { opened in
            let store = try #require(opened as? any ScorerRegistry)
            let experiment = try await store.createExperiment(named: "judged", artifactLocation: nil, tags: []).id
            let first = try await store.registerScorer(
                experimentID: experiment, name: "relevance", serialized: #"{"builtin_scorer_pydantic_data": {"model": "gateway:/judge"}}"#)
            let second = try await store.registerScorer(
                experimentID: experiment, name: "relevance", serialized: #"{"model": "gateway:/judge-v2"}"#)
            _ = try await store.registerScorer(experimentID: experiment, name: "brevity", serialized: "{}")
            #expect(first.version == 1 && second.version == 2 && first.scorerID == second.scorerID && first.model == "gateway:/judge")
            #expect(try await store.scorers(experimentID: experiment).map { "\($0.name)@\($0.version)" } == ["brevity@1", "relevance@2"])
            #expect(try await store.scorerVersions(experimentID: experiment, name: "relevance").map(\.version) == [1, 2])
            #expect(try await store.scorer(experimentID: experiment, name: "relevance", version: 1).model == "gateway:/judge")
            let config = try await store.setOnlineConfig(
                experimentID: experiment, name: "relevance", sampleRate: 0.25, filter: "status = 'OK'")
            #expect(try await store.onlineConfigs(scorerIDs: [first.scorerID]) == [config])
            #expect(
                await errorMessage {
                    _ = try await store.setOnlineConfig(experimentID: experiment, name: "relevance", sampleRate: 2, filter: nil)
                } != nil)
            #expect(
                await errorMessage {
                    _ = try await store.setOnlineConfig(
                        experimentID: experiment, name: "relevance", sampleRate: 0.5, filter: "metrics.x > 1")
                } != nil)
            try await store.deleteScorer(experimentID: experiment, name: "relevance", version: 1)
            #expect(try await store.scorerVersions(experimentID: experiment, name: "relevance").map(\.version) == [2])
            try await store.deleteScorer(experimentID: experiment, name: "relevance", version: nil)
            #expect(try await store.onlineConfigs(scorerIDs: [first.scorerID]).isEmpty)
            #expect(
                await errorMessage { _ = try await store.scorer(experimentID: experiment, name: "relevance", version: nil) }?.contains(
                    "not found") == true)
            #expect(await errorMessage { try await store.deleteScorer(experimentID: experiment, name: "nope", version: nil) } != nil)
        }
    }
}
