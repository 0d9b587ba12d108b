public import Assay
import AssayMLflowAPI
import Foundation
import NIOHTTP1

/// Evaluation datasets through MLflow 3's REST API, so that `assay evaluate --dataset d-…
/// --tracking-uri http://…` reads a dataset kept on a server.
extension RESTTrackingStore: EvaluationDatasetStore {
    struct RecordsPage: Codable, Sendable {
        var maxResults: Int64
        var pageToken: String?
    }

    struct Records: Codable, Sendable {
        var records: String
    }

    struct RecordIDs: Codable, Sendable {
        var datasetRecordIDs: [String]
    }

    struct Tags: Codable, Sendable {
        var tags: String
    }

    struct Experiments: Codable, Sendable {
        var experimentIDs: [String]
    }

    static func datasetPath(_ id: String) -> String { "datasets/" + RESTClient.encode(id) }

    public func createDataset(
        named name: String, experimentIDs: [String], tags: [String: String]
    ) async throws(AssayError)
        -> EvaluationDataset
    {
        let request = MLflow.CreateEvaluationDataset(
            name: name, experimentIDs: experimentIDs, tags: DataValue.object(tags.mapValues(DataValue.string)).description)
        return try await client.call(.POST, "datasets/create", request, as: MLflow.EvaluationDatasetResponse.self, api: "3.0").dataset
            .stored
    }

    public func dataset(id: String) async throws(AssayError) -> EvaluationDataset {
        try await client.call(.GET, Self.datasetPath(id), MLflow.Empty(), as: MLflow.EvaluationDatasetResponse.self, api: "3.0").dataset
            .stored
    }

    public func deleteDataset(id: String) async throws(AssayError) {
        _ = try await client.call(.DELETE, Self.datasetPath(id), MLflow.Empty(), as: MLflow.Empty.self, api: "3.0")
    }

    public func searchDatasets(
        experimentIDs: [String], filter: SearchFilter, orderBy: [String], maxResults: Int, offset: Int
    ) async throws(AssayError) -> SearchPage<EvaluationDataset> {
        let request = MLflow.SearchEvaluationDatasets(
            experimentIDs: experimentIDs, filterString: filter.conditions.isEmpty ? nil : filter.text, maxResults: Int64(maxResults),
            orderBy: orderBy, pageToken: offset > 0 ? PageToken.encode(offset: offset) : nil)
        let answer = try await client.call(.POST, "datasets/search", request, as: MLflow.SearchEvaluationDatasetsResponse.self, api: "3.0")
        return SearchPage(items: answer.datasets.map(\.stored), nextPageToken: answer.nextPageToken)
    }

    public func upsertRecords(datasetID: String, _ records: [EvaluationRecord]) async throws(AssayError) -> (inserted: Int, updated: Int) {
        let request = Records(records: DataValue.list(records.map(\.json)).description)
        let answer = try await client.call(
            .POST, Self.datasetPath(datasetID) + "/records", request, as: MLflow.UpsertRecordsResponse.self, api: "3.0")
        return (Int(answer.insertedCount), Int(answer.updatedCount))
    }

    public func records(datasetID: String, maxResults: Int, offset: Int) async throws(AssayError) -> SearchPage<EvaluationRecord> {
        let request = RecordsPage(maxResults: Int64(maxResults), pageToken: offset > 0 ? PageToken.encode(offset: offset) : nil)
        let answer = try await client.call(
            .GET, Self.datasetPath(datasetID) + "/records", request, as: MLflow.DatasetRecordsResponse.self, api: "3.0")
        guard case .list(let items)? = try? DataValue(json: answer.records) else {
            throw .serviceFailure("the tracking server's records of dataset \(datasetID) are not a JSON list")
        }
        let records = try items.enumerated().map { i, item throws(AssayError) in
            try EvaluationRecord(json: item, datasetID: datasetID, index: i)
        }
        return SearchPage(items: records, nextPageToken: answer.nextPageToken)
    }

    public func deleteRecords(datasetID: String, ids: [String]) async throws(AssayError) -> Int {
        let answer = try await client.call(
            .DELETE, Self.datasetPath(datasetID) + "/records", RecordIDs(datasetRecordIDs: ids), as: MLflow.DeleteRecordsResponse.self,
            api: "3.0")
        return Int(answer.deletedCount)
    }

    public func setDatasetTags(id: String, _ tags: [String: String?]) async throws(AssayError) {
        let text = DataValue.object(tags.mapValues { $0.map(DataValue.string) ?? .null }).description
        _ = try await client.call(
            .PATCH, Self.datasetPath(id) + "/tags", Tags(tags: text), as: MLflow.EvaluationDatasetResponse.self, api: "3.0")
    }

    public func deleteDatasetTag(id: String, key: String) async throws(AssayError) {
        _ = try await client.call(
            .DELETE, Self.datasetPath(id) + "/tags/" + RESTClient.encode(key), MLflow.Empty(), as: MLflow.Empty.self, api: "3.0")
    }

    public func addDataset(id: String, toExperiments experimentIDs: [String]) async throws(AssayError) {
        _ = try await client.call(
            .POST, Self.datasetPath(id) + "/add-experiments", Experiments(experimentIDs: experimentIDs),
            as: MLflow.EvaluationDatasetResponse.self, api: "3.0")
    }

    public func removeDataset(id: String, fromExperiments experimentIDs: [String]) async throws(AssayError) {
        _ = try await client.call(
            .POST, Self.datasetPath(id) + "/remove-experiments", Experiments(experimentIDs: experimentIDs),
            as: MLflow.EvaluationDatasetResponse.self, api: "3.0")
    }
}

/// Registered scorers through MLflow 3's REST API (`/api/3.0/mlflow/scorers/…`), so that a team's
/// scorers registered with `mlflow.genai` on a server are listed and read the same way as in a database.
extension RESTTrackingStore: ScorerRegistry {
    public func registerScorer(experimentID: String, name: String, serialized: String) async throws(AssayError) -> RegisteredScorer {
        let request = MLflow.RegisterScorer(experimentID: experimentID, name: name, serializedScorer: serialized)
        return try await client.call(.POST, "scorers/register", request, as: MLflow.RegisterScorerResponse.self, api: "3.0").stored
    }

    public func scorers(experimentID: String) async throws(AssayError) -> [RegisteredScorer] {
        try await client.call(
            .GET, "scorers/list", MLflow.ScorerRequest(experimentID: experimentID), as: MLflow.ScorersResponse.self, api: "3.0"
        ).scorers.map(\.stored)
    }

    public func scorerVersions(experimentID: String, name: String) async throws(AssayError) -> [RegisteredScorer] {
        try await client.call(
            .GET, "scorers/versions", MLflow.ScorerRequest(experimentID: experimentID, name: name), as: MLflow.ScorersResponse.self,
            api: "3.0"
        ).scorers.map(\.stored)
    }

    public func scorer(experimentID: String, name: String, version: Int?) async throws(AssayError) -> RegisteredScorer {
        let request = MLflow.ScorerRequest(experimentID: experimentID, name: name, version: version.map(Int64.init))
        return try await client.call(.GET, "scorers/get", request, as: MLflow.ScorerResponse.self, api: "3.0").scorer.stored
    }

    public func deleteScorer(experimentID: String, name: String, version: Int?) async throws(AssayError) {
        let request = MLflow.ScorerRequest(experimentID: experimentID, name: name, version: version.map(Int64.init))
        _ = try await client.call(.DELETE, "scorers/delete", request, as: MLflow.Empty.self, api: "3.0")
    }

    public func setOnlineConfig(
        experimentID: String, name: String, sampleRate: Double, filter: String?
    ) async throws(AssayError) -> OnlineScoringConfig {
        let request = MLflow.SetOnlineConfig(experimentID: experimentID, name: name, sampleRate: sampleRate, filterString: filter)
        return try await client.call(.PUT, "scorers/online-config", request, as: MLflow.OnlineConfigResponse.self, api: "3.0").config
            .stored
    }

    public func onlineConfigs(scorerIDs: [String]) async throws(AssayError) -> [OnlineScoringConfig] {
        guard !scorerIDs.isEmpty else { return [] }
        return try await client.call(
            .GET, "scorers/online-configs", MLflow.OnlineConfigsRequest(scorerIDs: scorerIDs), as: MLflow.OnlineConfigsResponse.self,
            api: "3.0"
        ).configs.map(\.stored)
    }
}
