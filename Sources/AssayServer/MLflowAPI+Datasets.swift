import Assay
import AssayMLflowAPI
import Foundation
import Hummingbird

/// MLflow 3's evaluation datasets (`/api/3.0/mlflow/datasets/…`) and registered scorers
/// (`/api/3.0/mlflow/scorers/…`). Records, tags and dataset listings travel as JSON written as text,
/// as MLflow's messages carry them.
extension MLflowAPI {
    static let datasetRoutes: [Route] = [
        rpc(.post, "datasets/create", MLflow.CreateEvaluationDataset.self) { api, r in
            guard let name = r.name, !name.isEmpty else { throw APIError.missing("name") }
            let dataset = try await api.datasets.createDataset(named: name, experimentIDs: r.experimentIDs, tags: try Self.tags(r.tags))
            return MLflow.EvaluationDatasetResponse(dataset: MLflow.EvaluationDataset(dataset))
        },
        rpc(.post, "datasets/search", MLflow.SearchEvaluationDatasets.self) { api, r in
            let page = try await api.datasets.searchDatasets(
                experimentIDs: r.experimentIDs, filter: try SearchFilter(r.filterString, for: .datasets), orderBy: r.orderBy,
                maxResults: try Self.maxResults(r.maxResults, default: 1000), offset: try PageToken.offset(r.pageToken))
            return MLflow.SearchEvaluationDatasetsResponse(
                datasets: page.items.map(MLflow.EvaluationDataset.init), nextPageToken: page.nextPageToken)
        },
        rpc(.get, "datasets/:dataset_id", DatasetID.self) { api, r in
            MLflow.EvaluationDatasetResponse(dataset: MLflow.EvaluationDataset(try await api.datasets.dataset(id: r.datasetID)))
        },
        rpc(.delete, "datasets/:dataset_id", DatasetID.self) { api, r in
            try await api.datasets.deleteDataset(id: r.datasetID)
            return MLflow.Empty()
        },
        rpc(.post, "datasets/:dataset_id/records", DatasetRecords.self) { api, r in
            guard let text = r.records else { throw APIError.missing("records") }
            let records = try Self.records(text, datasetID: r.datasetID)
            let (inserted, updated) = try await api.datasets.upsertRecords(datasetID: r.datasetID, records)
            return MLflow.UpsertRecordsResponse(insertedCount: Int64(inserted), updatedCount: Int64(updated))
        },
        rpc(.get, "datasets/:dataset_id/records", DatasetRecordsPage.self) { api, r in
            let page = try await api.datasets.records(
                datasetID: r.datasetID, maxResults: try Self.maxResults(r.maxResults, default: 1000),
                offset: try PageToken.offset(r.pageToken))
            return MLflow.DatasetRecordsResponse(
                records: DataValue.list(page.items.map(\.json)).description, nextPageToken: page.nextPageToken)
        },
        rpc(.delete, "datasets/:dataset_id/records", DatasetRecordIDs.self) { api, r in
            MLflow.DeleteRecordsResponse(
                deletedCount: Int64(try await api.datasets.deleteRecords(datasetID: r.datasetID, ids: r.datasetRecordIDs)))
        },
        rpc(.patch, "datasets/:dataset_id/tags", DatasetTags.self) { api, r in
            guard let text = r.tags else { throw APIError.missing("tags") }
            try await api.datasets.setDatasetTags(id: r.datasetID, try Self.optionalTags(text))
            return MLflow.EvaluationDatasetResponse(dataset: MLflow.EvaluationDataset(try await api.datasets.dataset(id: r.datasetID)))
        },
        rpc(.delete, "datasets/:dataset_id/tags/:key", DatasetTagKey.self) { api, r in
            try await api.datasets.deleteDatasetTag(id: r.datasetID, key: r.key)
            return MLflow.Empty()
        },
        rpc(.get, "datasets/:dataset_id/experiment-ids", DatasetID.self) { api, r in
            MLflow.DatasetExperimentIDsResponse(experimentIDs: try await api.datasets.dataset(id: r.datasetID).experimentIDs)
        },
        rpc(.post, "datasets/:dataset_id/add-experiments", DatasetExperiments.self) { api, r in
            try await api.datasets.addDataset(id: r.datasetID, toExperiments: r.experimentIDs)
            return MLflow.EvaluationDatasetResponse(dataset: MLflow.EvaluationDataset(try await api.datasets.dataset(id: r.datasetID)))
        },
        rpc(.post, "datasets/:dataset_id/remove-experiments", DatasetExperiments.self) { api, r in
            try await api.datasets.removeDataset(id: r.datasetID, fromExperiments: r.experimentIDs)
            return MLflow.EvaluationDatasetResponse(dataset: MLflow.EvaluationDataset(try await api.datasets.dataset(id: r.datasetID)))
        },
    ]

    static let scorerRoutes: [Route] = [
        rpc(.post, "scorers/register", MLflow.RegisterScorer.self) { api, r in
            guard (try? DataValue(json: r.serializedScorer))?.objectValue != nil else {
                throw APIError.invalid("serialized_scorer must be a JSON object (a serialized scorer).")
            }
            return MLflow.RegisterScorerResponse(
                try await api.scorers.registerScorer(experimentID: r.experimentID, name: r.name, serialized: r.serializedScorer))
        },
        rpc(.get, "scorers/list", MLflow.ScorerRequest.self) { api, r in
            MLflow.ScorersResponse(scorers: try await api.scorers.scorers(experimentID: r.experimentID).map(MLflow.Scorer.init))
        },
        rpc(.get, "scorers/versions", MLflow.ScorerRequest.self) { api, r in
            MLflow.ScorersResponse(
                scorers: try await api.scorers.scorerVersions(experimentID: r.experimentID, name: try Self.scorerName(r)).map(
                    MLflow.Scorer.init))
        },
        rpc(.get, "scorers/get", MLflow.ScorerRequest.self) { api, r in
            let scorer = try await api.scorers.scorer(
                experimentID: r.experimentID, name: try Self.scorerName(r), version: r.version.map { Int($0) })
            return MLflow.ScorerResponse(scorer: MLflow.Scorer(scorer))
        },
        rpc(.delete, "scorers/delete", MLflow.ScorerRequest.self) { api, r in
            try await api.scorers.deleteScorer(
                experimentID: r.experimentID, name: try Self.scorerName(r), version: r.version.map { Int($0) })
            return MLflow.Empty()
        },
        rpc(.put, "scorers/online-config", MLflow.SetOnlineConfig.self) { api, r in
            // Online scoring runs judges through the AI gateway, as in MLflow: a scorer on another model is refused.
            if r.sampleRate > 0 {
                let latest = try await api.scorers.scorer(experimentID: r.experimentID, name: r.name, version: nil)
                guard latest.model?.hasPrefix("gateway:/") == true else {
                    throw APIError.invalid(
                        "Scorer '\(r.name)' does not use a gateway model. Automatic evaluation is only supported for scorers that use gateway models."
                    )
                }
            }
            let config = try await api.scorers.setOnlineConfig(
                experimentID: r.experimentID, name: r.name, sampleRate: r.sampleRate, filter: r.filterString)
            return MLflow.OnlineConfigResponse(config: MLflow.OnlineConfig(config))
        },
        rpc(.get, "scorers/online-configs", MLflow.OnlineConfigsRequest.self) { api, r in
            MLflow.OnlineConfigsResponse(configs: try await api.scorers.onlineConfigs(scorerIDs: r.scorerIDs).map(MLflow.OnlineConfig.init))
        },
    ]

    // MARK: - Path-addressed requests

    struct DatasetID: Decodable {
        var datasetID: String
    }

    struct DatasetRecords: Decodable {
        var datasetID: String
        var records: String?
    }

    struct DatasetRecordsPage: Decodable {
        var datasetID: String
        var maxResults: Int64?
        var pageToken: String?
    }

    struct DatasetRecordIDs: Decodable {
        var datasetID: String
        var datasetRecordIDs: [String]
    }

    struct DatasetTags: Decodable {
        var datasetID: String
        var tags: String?
    }

    struct DatasetTagKey: Decodable {
        var datasetID: String
        var key: String
    }

    struct DatasetExperiments: Decodable {
        var datasetID: String
        var experimentIDs: [String]
    }

    // MARK: - Stores and fields

    var datasets: any EvaluationDatasetStore {
        get throws(APIError) { try keeping((any EvaluationDatasetStore).self, "evaluation datasets") }
    }
    var scorers: any ScorerRegistry { get throws(APIError) { try keeping((any ScorerRegistry).self, "registered scorers") } }

    static func scorerName(_ r: MLflow.ScorerRequest) throws(APIError) -> String {
        guard let name = r.name, !name.isEmpty else { throw APIError.missing("name") }
        return name
    }

    /// Tags sent as a JSON object written as text; values that are not strings are kept as their JSON.
    static func tags(_ text: String?) throws(APIError) -> [String: String] {
        try optionalTags(text).compactMapValues { $0 }
    }

    static func optionalTags(_ text: String?) throws(APIError) -> [String: String?] {
        guard let text, !text.isEmpty else { return [:] }
        guard case .object(let members)? = try? DataValue(json: text) else {
            throw APIError.invalid("tags must be a JSON object written as text, such as {\"team\": \"nlp\"}.")
        }
        return members.mapValues { $0.isNull ? nil : $0.text }
    }

    /// Records sent as a JSON list written as text.
    static func records(_ text: String, datasetID: String) throws(APIError) -> [EvaluationRecord] {
        guard case .list(let items)? = try? DataValue(json: text) else {
            throw APIError.invalid("records must be a JSON list written as text, such as [{\"inputs\": {\"question\": \"…\"}}].")
        }
        do {
            return try items.enumerated().map { i, item throws(AssayError) in
                try EvaluationRecord(json: item, datasetID: datasetID, index: i)
            }
        } catch {
            throw APIError.invalid(error.message)
        }
    }
}
