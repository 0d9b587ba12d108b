/// MLflow's tracking protocol: its entities and the request and response of every RPC Assay serves and
/// calls, each declared once (MLflow+Messages.swift). The server decodes requests and encodes responses
/// with these types; the REST store does the opposite. Property names are the wire names in camelCase
/// (`runID` is `run_id`); ``ProtoJSON`` reads and writes them the way MLflow's protobuf JSON does.
///
/// ```swift
/// let body = ProtoJSON.encode(MLflow.RunRequest(runID: id))   // {"run_id": "…"}
/// let answer = try ProtoJSON.decode(MLflow.RunResponse.self, json: text)
/// ```
public enum MLflow {
    /// An answer with no fields (`{}`).
    public struct Empty: Codable, Sendable {
        public init() {}
        public init(from decoder: any Decoder) throws {}
        public func encode(to encoder: any Encoder) throws {
            _ = encoder.container(keyedBy: NoKeys.self)
        }
    }

    enum NoKeys: CodingKey {}
}

/// Requests about one run: they name it by `run_id`, or by the older `run_uuid` that clients still send.
public protocol RunRequestMessage {
    var runID: String? { get }
    var runUUID: String? { get }
}

extension RunRequestMessage {
    /// The run's id, from whichever field holds one.
    public func runIdentifier() throws(WireError) -> String {
        if let runID, !runID.isEmpty { return runID }
        if let runUUID, !runUUID.isEmpty { return runUUID }
        throw WireError.missing("run_id")
    }
}

extension MLflow.RunRequest: RunRequestMessage {}
extension MLflow.UpdateRun: RunRequestMessage {}
extension MLflow.LogMetric: RunRequestMessage {}
extension MLflow.RunKeyValue: RunRequestMessage {}
extension MLflow.GetMetricHistory: RunRequestMessage {}
extension MLflow.ListArtifacts: RunRequestMessage {}

extension MLflow.LogBatch: RunRequestMessage {
    public var runUUID: String? { nil }
}

extension MLflow.LogInputs: RunRequestMessage {
    public var runUUID: String? { nil }
}

extension MLflow.RunData: EmptyDecodable {
    static var empty: MLflow.RunData { MLflow.RunData() }
}

extension MLflow.RunInputs: EmptyDecodable {
    static var empty: MLflow.RunInputs { MLflow.RunInputs() }
}
