import Assay
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Prometheus

/// `POST /v1/traces`: OTLP/HTTP trace export, protobuf or JSON. Spans go to the experiment the
/// `x-assay-experiment` header names (an id or a name, created when new), else the one MLflow's
/// `x-mlflow-experiment-id` names, else the one the resource
/// attribute `assay.experiment` names, else the Default experiment. All or nothing: a malformed
/// payload stores no span.
struct OTLPIngest {
    let store: any TrackingStore
    let maxOTLPBytes: Int
    var bodyTimeout: Duration = .seconds(60)
    var metrics: ServerMetrics?

    static let experimentHeader = HTTPField.Name("x-assay-experiment")!
    /// The header MLflow 3's client names the experiment in (an id).
    static let mlflowExperimentHeader = HTTPField.Name("x-mlflow-experiment-id")!

    func addRoutes(to group: RouterGroup<AssayRequestContext>) {
        let ingest = self
        group.post("/v1/traces") { request, _ in try await ingest.ingestTraces(request) }
    }

    func ingestTraces(_ request: Request) async throws -> Response {
        guard let traces = store as? any TraceStore else {
            throw APIError("NOT_IMPLEMENTED", "This server's store does not keep traces.")
        }
        let type = request.headers[.contentType]?.lowercased() ?? "application/json"
        let protobuf = type.hasPrefix("application/x-protobuf") || type.hasPrefix("application/protobuf")
        guard protobuf || type.hasPrefix("application/json") else {
            throw APIError.invalid("Send OTLP traces as application/x-protobuf or application/json, not \(type).")
        }
        var request = request
        let body = try await request.body(upTo: maxOTLPBytes, within: bodyTimeout)
        let batches = protobuf ? try OTLPDecoder.decodeProtobuf(body) : try OTLPDecoder.decodeJSON(body)
        var byExperiment: [String: [SpanRecord]] = [:]
        for batch in batches {
            let named =
                request.headers[Self.experimentHeader] ?? request.headers[Self.mlflowExperimentHeader]
                ?? batch.resource["assay.experiment"]?.stringValue
            let experiment = try await experimentID(for: named)
            byExperiment[experiment, default: []] += batch.spans
        }
        for (experiment, spans) in byExperiment {
            try await traces.ingest(spans, experimentID: experiment)
            metrics?.spansAccepted.increment(by: Int64(spans.count))
        }
        if protobuf {
            // An empty ExportTraceServiceResponse: full success.
            return Response(status: .ok, headers: [.contentType: "application/x-protobuf"])
        }
        return TrackingServer.json(.object([:]))
    }

    /// The experiment an id or a name means; a new name makes a new experiment.
    func experimentID(for reference: String?) async throws(AssayError) -> String {
        guard let reference, !reference.isEmpty else { return "0" }
        if reference.allSatisfy(\.isNumber), let found = try? await store.experiment(id: reference) { return found.id }
        if let found = try await store.experiment(named: reference) { return found.id }
        do {
            return try await store.createExperiment(named: reference, artifactLocation: nil, tags: []).id
        } catch  where error.kind == .alreadyExists {
            // Another request created it meanwhile.
            guard let found = try await store.experiment(named: reference) else { throw error }
            return found.id
        }
    }
}
