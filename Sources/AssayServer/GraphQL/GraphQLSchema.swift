/// The types of MLflow's GraphQL schema (`/graphql`, used by MLflow's web UI), as its server publishes
/// them: each object type's fields by their protocol (snake_case) name, which GraphQL spells in
/// camelCase. 64-bit integers travel as strings (`Long`), as MLflow's `LongString` scalar does.
enum GraphQLSchema {
    indirect enum FieldType: Sendable {
        case string, float, boolean, int, long
        case enumeration(String)
        case object(String)
        case list(FieldType)

        /// The name GraphQL shows in messages, such as `MlflowRun` or `[MlflowMetric!]`.
        var name: String {
            switch self {
            case .string: "String"
            case .float: "Float"
            case .boolean: "Boolean"
            case .int: "Int"
            case .long: "LongString"
            case .enumeration(let name), .object(let name): name
            case .list(let element): "[\(element.name)!]"
            }
        }

        /// The object type this field holds, itself or in a list.
        var objectName: String? {
            switch self {
            case .object(let name): name
            case .list(let element): element.objectName
            default: nil
            }
        }
    }

    /// The root fields of queries and mutations, and the REST route each one answers with.
    struct RootField: Sendable {
        let type: String
        /// The route below `/api/2.0/mlflow/` whose answer this field is, or nil for the echo field `test`.
        let route: String?
    }

    static let queries: [String: RootField] = [
        "mlflowGetExperiment": RootField(type: "MlflowGetExperimentResponse", route: "experiments/get"),
        "mlflowGetMetricHistoryBulkInterval": RootField(
            type: "MlflowGetMetricHistoryBulkIntervalResponse", route: "metrics/get-history-bulk-interval"),
        "mlflowGetRun": RootField(type: "MlflowGetRunResponse", route: "runs/get"),
        "mlflowListArtifacts": RootField(type: "MlflowListArtifactsResponse", route: "artifacts/list"),
        "mlflowSearchModelVersions": RootField(type: "MlflowSearchModelVersionsResponse", route: "model-versions/search"),
        "mlflowSearchRuns": RootField(type: "MlflowSearchRunsResponse", route: "runs/search"),
        "test": RootField(type: "Test", route: nil),
    ]

    static let mutations: [String: RootField] = [
        "mlflowSearchDatasets": RootField(type: "MlflowSearchDatasetsResponse", route: "experiments/search-datasets"),
        "mlflowSearchRuns": RootField(type: "MlflowSearchRunsResponse", route: "runs/search"),
        "testMutation": RootField(type: "TestMutation", route: nil),
    ]

    /// Each object type's fields, by their camelCase GraphQL name.
    static let types: [String: [String: FieldType]] = {
        var types: [String: [String: FieldType]] = [:]
        for (name, fields) in snakeCaseTypes {
            types[name] = Dictionary(uniqueKeysWithValues: fields.map { (camelCase($0.key), $0.value) })
        }
        return types
    }()

    /// `run_id` → `runId`; `apiError` stays as it is.
    static func camelCase(_ name: String) -> String {
        let parts = name.split(separator: "_")
        guard let first = parts.first else { return name }
        return String(first) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// `runId` → `run_id`.
    static func snakeCase(_ name: String) -> String {
        var out = ""
        for c in name {
            if c.isUppercase {
                out += "_" + c.lowercased()
            } else {
                out.append(c)
            }
        }
        return out
    }

    private static let apiError: [String: FieldType] = ["apiError": .object("ApiError")]
    private static let keyValue: [String: FieldType] = ["key": .string, "value": .string]
    private static let metric: [String: FieldType] = [
        "key": .string, "value": .float, "timestamp": .long, "step": .long, "dataset_name": .string, "dataset_digest": .string,
        "model_id": .string, "run_id": .string,
    ]

    private static let snakeCaseTypes: [String: [String: FieldType]] = [
        "Test": ["output": .string],
        "TestMutation": ["output": .string],
        "ApiError": [
            "code": .string, "message": .string, "help_url": .string, "trace_id": .string, "error_details": .list(.object("ErrorDetail")),
        ],
        "ErrorDetail": ["field": .string, "message": .string],
        "MlflowGetExperimentResponse": apiError.merging(["experiment": .object("MlflowExperiment")]) { a, _ in a },
        "MlflowExperiment": [
            "experiment_id": .string, "name": .string, "artifact_location": .string, "lifecycle_stage": .string,
            "last_update_time": .long, "creation_time": .long, "tags": .list(.object("MlflowExperimentTag")),
            "effective_trace_archival_retention": .string, "workspace": .string,
        ],
        "MlflowExperimentTag": keyValue,
        "MlflowGetRunResponse": apiError.merging(["run": .object("MlflowRunExtension")]) { a, _ in a },
        "MlflowSearchRunsResponse": apiError.merging(["runs": .list(.object("MlflowRunExtension")), "next_page_token": .string]) { a, _ in a
        },
        "MlflowRunExtension": [
            "info": .object("MlflowRunInfo"), "data": .object("MlflowRunData"), "inputs": .object("MlflowRunInputs"),
            "outputs": .object("MlflowRunOutputs"), "experiment": .object("MlflowExperiment"),
            "model_versions": .list(.object("MlflowModelVersion")),
        ],
        "MlflowRunInfo": [
            "run_id": .string, "run_uuid": .string, "run_name": .string, "experiment_id": .string, "user_id": .string,
            "status": .enumeration("MlflowRunStatus"), "start_time": .long, "end_time": .long, "artifact_uri": .string,
            "lifecycle_stage": .string,
        ],
        "MlflowRunData": [
            "metrics": .list(.object("MlflowMetricExtension")), "params": .list(.object("MlflowParam")),
            "tags": .list(.object("MlflowRunTag")),
        ],
        "MlflowMetricExtension": metric,
        "MlflowParam": keyValue,
        "MlflowRunTag": keyValue,
        "MlflowRunInputs": ["dataset_inputs": .list(.object("MlflowDatasetInput")), "model_inputs": .list(.object("MlflowModelInput"))],
        "MlflowDatasetInput": ["tags": .list(.object("MlflowInputTag")), "dataset": .object("MlflowDataset")],
        "MlflowInputTag": keyValue,
        "MlflowDataset": [
            "name": .string, "digest": .string, "source_type": .string, "source": .string, "schema": .string, "profile": .string,
        ],
        "MlflowModelInput": ["model_id": .string],
        "MlflowRunOutputs": ["model_outputs": .list(.object("MlflowModelOutput"))],
        "MlflowModelOutput": ["model_id": .string, "step": .long],
        "MlflowListArtifactsResponse": apiError.merging([
            "root_uri": .string, "files": .list(.object("MlflowFileInfo")), "next_page_token": .string,
        ]) { a, _ in a },
        "MlflowFileInfo": ["path": .string, "is_dir": .boolean, "file_size": .long],
        "MlflowGetMetricHistoryBulkIntervalResponse": apiError.merging(["metrics": .list(.object("MlflowMetricWithRunId"))]) { a, _ in a },
        "MlflowMetricWithRunId": ["key": .string, "value": .float, "timestamp": .long, "step": .long, "run_id": .string],
        "MlflowSearchDatasetsResponse": apiError.merging(["dataset_summaries": .list(.object("MlflowDatasetSummary"))]) { a, _ in a },
        "MlflowDatasetSummary": ["experiment_id": .string, "name": .string, "digest": .string, "context": .string],
        "MlflowSearchModelVersionsResponse": apiError.merging([
            "model_versions": .list(.object("MlflowModelVersion")), "next_page_token": .string,
        ]) { a, _ in a },
        "MlflowModelVersion": [
            "name": .string, "version": .string, "creation_timestamp": .long, "last_updated_timestamp": .long, "user_id": .string,
            "current_stage": .string, "description": .string, "source": .string, "run_id": .string,
            "status": .enumeration("MlflowModelVersionStatus"), "status_message": .string, "tags": .list(.object("MlflowModelVersionTag")),
            "run_link": .string, "aliases": .list(.string), "model_id": .string, "model_params": .list(.object("MlflowModelParam")),
            "model_metrics": .list(.object("MlflowModelMetric")),
        ],
        "MlflowModelVersionTag": keyValue,
        "MlflowModelParam": ["name": .string, "value": .string],
        "MlflowModelMetric": metric,
    ]
}
