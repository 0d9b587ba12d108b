import Assay
import Foundation

/// `assay evaluate --dataset d-…|NAME`: an evaluation dataset kept in the tracking store, read record by
/// record as a dataset to evaluate.
enum StoredDataset {
    static func load(_ reference: String, tracking: TrackingConnection) async throws -> Dataset {
        guard let store = try await tracking.open().store as? any EvaluationDatasetStore else {
            throw AssayError.invalidInput("--dataset: the tracking store at \(tracking.options.uri) keeps no evaluation datasets")
        }
        let found: EvaluationDataset
        if reference.hasPrefix("d-"), let byID = try? await store.dataset(id: reference) {
            found = byID
        } else {
            let filter = try SearchFilter("name = \(SearchFilter.quote(reference))", for: .datasets)
            let page = try await store.searchDatasets(experimentIDs: [], filter: filter, orderBy: [], maxResults: 2, offset: 0)
            switch page.items.count {
            case 0: throw AssayError.invalidInput("--dataset \(reference): no evaluation dataset with that id or name")
            case 1: found = page.items[0]
            default: throw AssayError.invalidInput("--dataset \(reference): several datasets have that name; give its d-… id")
            }
        }
        var records: [EvaluationRecord] = []
        var offset = 0
        while true {
            let page = try await store.records(datasetID: found.id, maxResults: 1000, offset: offset)
            records += page.items
            guard let token = page.nextPageToken else { break }
            offset = try PageToken.offset(token)
        }
        guard !records.isEmpty else { throw AssayError.invalidInput("--dataset \(reference): the dataset \(found.name) has no records") }
        return Dataset.records(records, name: found.name)
    }
}
