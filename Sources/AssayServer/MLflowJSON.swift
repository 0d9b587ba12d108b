import Assay

/// Tracking entities in the protobuf JSON MLflow's client reads: snake_case names, int64 as numbers,
/// enums by name, non-finite doubles as "NaN"/"Infinity"/"-Infinity", and fields at their default
/// left out rather than null.
enum MLflowJSON {
    static func experiment(_ e: Experiment) -> DataValue {
        var fields: [String: DataValue] = [
            "experiment_id": .string(e.id), "name": .string(e.name), "artifact_location": .string(e.artifactLocation),
            "lifecycle_stage": .string(e.lifecycleStage.rawValue), "creation_time": .int(Int(e.creationTime)),
            "last_update_time": .int(Int(e.lastUpdateTime)),
        ]
        if !e.tags.isEmpty { fields["tags"] = pairs(e.tags) }
        return .object(fields)
    }

    static func runInfo(_ info: RunInfo) -> DataValue {
        var fields: [String: DataValue] = [
            "run_id": .string(info.id), "run_uuid": .string(info.id), "experiment_id": .string(info.experimentID),
            "run_name": .string(info.name), "user_id": .string(info.userID), "status": .string(info.status.rawValue),
            "start_time": .int(Int(info.startTime)), "artifact_uri": .string(info.artifactURI),
            "lifecycle_stage": .string(info.lifecycleStage.rawValue),
        ]
        if let end = info.endTime { fields["end_time"] = .int(Int(end)) }
        return .object(fields)
    }

    static func run(_ run: Run) -> DataValue {
        var data: [String: DataValue] = [:]
        if !run.metrics.isEmpty { data["metrics"] = .list(run.metrics.map(metric)) }
        if !run.params.isEmpty { data["params"] = pairs(run.params) }
        if !run.tags.isEmpty { data["tags"] = pairs(run.tags) }
        var inputs: [String: DataValue] = [:]
        if !run.inputs.isEmpty { inputs["dataset_inputs"] = .list(run.inputs.map(datasetInput)) }
        return .object(["info": runInfo(run.info), "data": .object(data), "inputs": .object(inputs), "outputs": .object([:])])
    }

    static func metric(_ point: MetricPoint) -> DataValue {
        .object([
            "key": .string(point.key), "value": double(point.value), "timestamp": .int(Int(point.timestamp)),
            "step": .int(Int(point.step)),
        ])
    }

    static func double(_ d: Double) -> DataValue {
        if d.isNaN { return .string("NaN") }
        if d.isInfinite { return .string(d > 0 ? "Infinity" : "-Infinity") }
        return .double(d)
    }

    static func pairs(_ pairs: [KeyValue]) -> DataValue {
        .list(pairs.map { .object(["key": .string($0.key), "value": .string($0.value)]) })
    }

    static func datasetInput(_ input: DatasetInput) -> DataValue {
        var dataset: [String: DataValue] = [
            "name": .string(input.name), "digest": .string(input.digest), "source_type": .string(input.sourceType),
            "source": .string(input.source),
        ]
        if let schema = input.schema { dataset["schema"] = .string(schema) }
        if let profile = input.profile { dataset["profile"] = .string(profile) }
        var fields: [String: DataValue] = ["dataset": .object(dataset)]
        if !input.tags.isEmpty { fields["tags"] = pairs(input.tags) }
        return .object(fields)
    }
}
