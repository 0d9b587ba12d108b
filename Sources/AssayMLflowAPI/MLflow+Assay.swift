public import Assay

// Assay's tracking records and MLflow's messages, one into the other.

extension MLflow.KeyValue {
    public init(_ pair: KeyValue) {
        self.init(key: pair.key, value: pair.value)
    }
}

extension KeyValue {
    /// A pair as sent; a missing value is the empty string, as MLflow's server stores it.
    public init(_ pair: MLflow.KeyValue) {
        self.init(pair.key, pair.value ?? "")
    }
}

extension MLflow.Metric {
    public init(_ point: MetricPoint) {
        self.init(
            key: point.key, value: point.value, timestamp: point.timestamp, step: point.step, modelID: point.modelID,
            datasetName: point.datasetName, datasetDigest: point.datasetDigest, runID: point.runID)
    }
}

extension MetricPoint {
    /// A metric as sent; empty model, dataset and run fields are none.
    public init(_ metric: MLflow.Metric) {
        func given(_ text: String?) -> String? { text.flatMap { $0.isEmpty ? nil : $0 } }
        self.init(
            key: metric.key, value: metric.value, timestamp: metric.timestamp, step: metric.step ?? 0, modelID: given(metric.modelID),
            datasetName: given(metric.datasetName), datasetDigest: given(metric.datasetDigest), runID: given(metric.runID))
    }
}

extension MLflow.Experiment {
    public init(_ e: Experiment) {
        self.init(
            experimentID: e.id, name: e.name, artifactLocation: e.artifactLocation, lifecycleStage: e.lifecycleStage.rawValue,
            creationTime: e.creationTime, lastUpdateTime: e.lastUpdateTime, tags: e.tags.map(MLflow.KeyValue.init))
    }
}

extension Experiment {
    public init(_ e: MLflow.Experiment) {
        self.init(
            id: e.experimentID, name: e.name, artifactLocation: e.artifactLocation ?? "",
            lifecycleStage: LifecycleStage(rawValue: e.lifecycleStage ?? "active") ?? .active, creationTime: e.creationTime ?? 0,
            lastUpdateTime: e.lastUpdateTime ?? 0, tags: e.tags.map(KeyValue.init))
    }
}

extension MLflow.RunInfo {
    /// A run's info with both `run_id` and the older `run_uuid`, as MLflow's server writes it.
    public init(_ info: RunInfo) {
        self.init(
            runID: info.id, runUUID: info.id, experimentID: info.experimentID, runName: info.name, userID: info.userID,
            status: info.status.rawValue, startTime: info.startTime, endTime: info.endTime, artifactURI: info.artifactURI,
            lifecycleStage: info.lifecycleStage.rawValue)
    }
}

extension RunInfo {
    /// A run's info as a server sent it; an end time of 0 means none.
    public init(_ info: MLflow.RunInfo) throws(WireError) {
        guard let id = info.runID ?? info.runUUID else { throw WireError.missing("run_id") }
        self.init(
            id: id, experimentID: info.experimentID ?? "0", name: info.runName ?? "", userID: info.userID ?? "",
            status: RunStatus(rawValue: info.status ?? "") ?? .running, startTime: info.startTime ?? 0,
            endTime: info.endTime == 0 ? nil : info.endTime, artifactURI: info.artifactURI ?? "",
            lifecycleStage: LifecycleStage(rawValue: info.lifecycleStage ?? "active") ?? .active)
    }
}

extension MLflow.DatasetInput {
    public init(_ input: DatasetInput) {
        self.init(
            tags: input.tags.map(MLflow.KeyValue.init),
            dataset: MLflow.Dataset(
                name: input.name, digest: input.digest, sourceType: input.sourceType, source: input.source, schema: input.schema,
                profile: input.profile))
    }
}

extension DatasetInput {
    public init(_ input: MLflow.DatasetInput) {
        let d = input.dataset
        self.init(
            name: d.name, digest: d.digest, sourceType: d.sourceType, source: d.source, schema: d.schema, profile: d.profile,
            tags: input.tags.map(KeyValue.init))
    }
}

extension MLflow.Run {
    public init(_ run: Run) {
        self.init(
            info: MLflow.RunInfo(run.info),
            data: MLflow.RunData(
                metrics: run.metrics.map(MLflow.Metric.init), params: run.params.map(MLflow.KeyValue.init),
                tags: run.tags.map(MLflow.KeyValue.init)),
            inputs: MLflow.RunInputs(
                datasetInputs: run.inputs.map(MLflow.DatasetInput.init), modelInputs: run.modelInputs.map(MLflow.ModelInput.init)),
            outputs: MLflow.RunOutputs(modelOutputs: run.modelOutputs.map { MLflow.ModelOutput(modelID: $0.modelID, step: $0.step) }))
    }
}

extension Run {
    public init(_ run: MLflow.Run) throws(WireError) {
        self.init(
            info: try RunInfo(run.info), metrics: run.data.metrics.map(MetricPoint.init), params: run.data.params.map(KeyValue.init),
            tags: run.data.tags.map(KeyValue.init), inputs: (run.inputs?.datasetInputs ?? []).map(DatasetInput.init))
        modelOutputs = (run.outputs?.modelOutputs ?? []).map { RunModelOutput(modelID: $0.modelID, step: $0.step ?? 0) }
        modelInputs = (run.inputs?.modelInputs ?? []).map(\.modelID)
    }
}

extension LifecycleView {
    /// The view's name in MLflow's requests (`view_type`, `run_view_type`).
    public var wireName: String {
        switch self {
        case .activeOnly: "ACTIVE_ONLY"
        case .deletedOnly: "DELETED_ONLY"
        case .all: "ALL"
        }
    }

    /// A view by name (`ACTIVE_ONLY`, `DELETED_ONLY`, `ALL`) or number; nil is active only.
    public init(wireName: String?) throws(WireError) {
        switch wireName?.uppercased() {
        case nil, "ACTIVE_ONLY", "1": self = .activeOnly
        case "DELETED_ONLY", "2": self = .deletedOnly
        case "ALL", "3": self = .all
        case let other?: throw WireError(message: "Invalid value '\(other)' for the view type: use ACTIVE_ONLY, DELETED_ONLY or ALL.")
        }
    }
}
