public import Assay

// MLflow's trace RPCs beside start, get and search: the legacy v2 start/end of a trace (MLflow 2's
// clients and `deprecated_start_trace_v2`), the correlation of two trace filters, and trace metrics.

public extension MLflow {
    /// A trace's info as MLflow 2 wrote it: `request_id`, milliseconds, status, and lists of pairs.
    struct TraceInfoV2: Codable, Sendable {
        public var requestID: String
        public var experimentID: String
        public var timestampMs: Int64
        public var executionTimeMs: Int64
        public var status: String
        public var requestMetadata: [KeyValue]
        public var tags: [KeyValue]

        public init(
            requestID: String, experimentID: String, timestampMs: Int64, executionTimeMs: Int64, status: String,
            requestMetadata: [KeyValue], tags: [KeyValue]
        ) {
            self.requestID = requestID
            self.experimentID = experimentID
            self.timestampMs = timestampMs
            self.executionTimeMs = executionTimeMs
            self.status = status
            self.requestMetadata = requestMetadata
            self.tags = tags
        }
    }

    /// The answer to the v2 start, end and get-info of a trace.
    struct TraceInfoV2Response: Codable, Sendable {
        public var traceInfo: TraceInfoV2

        public init(traceInfo: TraceInfoV2) {
            self.traceInfo = traceInfo
        }
    }

    /// `POST /api/2.0/mlflow/traces`: a trace begins.
    struct StartTraceV2: Codable, Sendable {
        public var experimentID: String?
        public var timestampMs: Int64?
        public var requestMetadata: [KeyValue]
        public var tags: [KeyValue]

        public init(experimentID: String? = nil, timestampMs: Int64? = nil, requestMetadata: [KeyValue] = [], tags: [KeyValue] = []) {
            self.experimentID = experimentID
            self.timestampMs = timestampMs
            self.requestMetadata = requestMetadata
            self.tags = tags
        }
    }

    /// `PATCH /api/2.0/mlflow/traces/{request_id}`: a trace ends; its metadata and tags are added to.
    struct EndTraceV2: Codable, Sendable {
        public var traceID: String
        public var timestampMs: Int64?
        public var status: String?
        public var requestMetadata: [KeyValue]
        public var tags: [KeyValue]

        public init(
            traceID: String, timestampMs: Int64? = nil, status: String? = nil, requestMetadata: [KeyValue] = [], tags: [KeyValue] = []
        ) {
            self.traceID = traceID
            self.timestampMs = timestampMs
            self.status = status
            self.requestMetadata = requestMetadata
            self.tags = tags
        }
    }

    /// `POST /api/3.0/mlflow/traces/calculate-filter-correlation`.
    struct CalculateTraceFilterCorrelation: Codable, Sendable {
        public var experimentIDs: [String]
        public var filterString1: String?
        public var filterString2: String?
        public var baseFilter: String?

        public init(experimentIDs: [String], filterString1: String? = nil, filterString2: String? = nil, baseFilter: String? = nil) {
            self.experimentIDs = experimentIDs
            self.filterString1 = filterString1
            self.filterString2 = filterString2
            self.baseFilter = baseFilter
        }
    }

    /// The answer to `traces/calculate-filter-correlation` (NaN where the correlation is undefined).
    struct TraceFilterCorrelationResponse: Codable, Sendable {
        public var npmi: Double
        public var npmiSmoothed: Double
        public var filter1Count: Int64
        public var filter2Count: Int64
        public var jointCount: Int64
        public var totalCount: Int64

        public init(_ c: TraceFilterCorrelation) {
            npmi = c.npmi
            npmiSmoothed = c.npmiSmoothed
            filter1Count = Int64(c.filter1Count)
            filter2Count = Int64(c.filter2Count)
            jointCount = Int64(c.jointCount)
            totalCount = Int64(c.totalCount)
        }
    }

    /// One aggregation of a trace metrics query: `{aggregation_type: "PERCENTILE", percentile_value: 95}`.
    struct MetricAggregation: Codable, Sendable {
        public var aggregationType: String?
        public var percentileValue: Double?

        public init(aggregationType: String? = nil, percentileValue: Double? = nil) {
            self.aggregationType = aggregationType
            self.percentileValue = percentileValue
        }
    }

    /// `POST /api/3.0/mlflow/traces/metrics`.
    struct QueryTraceMetrics: Codable, Sendable {
        public var experimentIDs: [String]
        public var viewType: String?
        public var metricName: String?
        public var aggregations: [MetricAggregation]
        public var dimensions: [String]
        public var filters: [String]
        public var timeIntervalSeconds: Int64?
        public var startTimeMs: Int64?
        public var endTimeMs: Int64?
        public var maxResults: Int64?
        public var pageToken: String?

        public init(
            experimentIDs: [String], viewType: String? = nil, metricName: String? = nil, aggregations: [MetricAggregation] = [],
            dimensions: [String] = [], filters: [String] = [], timeIntervalSeconds: Int64? = nil, startTimeMs: Int64? = nil,
            endTimeMs: Int64? = nil, maxResults: Int64? = nil, pageToken: String? = nil
        ) {
            self.experimentIDs = experimentIDs
            self.viewType = viewType
            self.metricName = metricName
            self.aggregations = aggregations
            self.dimensions = dimensions
            self.filters = filters
            self.timeIntervalSeconds = timeIntervalSeconds
            self.startTimeMs = startTimeMs
            self.endTimeMs = endTimeMs
            self.maxResults = maxResults
            self.pageToken = pageToken
        }
    }

    /// One group of a trace metrics answer (maps written as JSON objects).
    struct MetricDataPoint: Codable, Sendable {
        public var metricName: String
        public var dimensions: DataValue
        public var values: DataValue

        public init(_ point: TraceMetricPoint) {
            metricName = point.metric
            dimensions = .object(point.dimensions.mapValues(DataValue.string))
            values = .object(point.values.mapValues(DataValue.double))
        }
    }

    /// The answer to `traces/metrics`.
    struct QueryTraceMetricsResponse: Codable, Sendable {
        public var dataPoints: [MetricDataPoint]
        public var nextPageToken: String?

        public init(dataPoints: [MetricDataPoint], nextPageToken: String? = nil) {
            self.dataPoints = dataPoints
            self.nextPageToken = nextPageToken
        }
    }
}

extension MLflow.TraceInfoV2 {
    /// A stored trace as MLflow 2 described it; the server's own tags are left out.
    public init(_ t: TraceSummary) {
        func pairs(_ map: [String: String]) -> [MLflow.KeyValue] {
            map.sorted { $0.key < $1.key }.map { MLflow.KeyValue(key: $0.key, value: $0.value) }
        }
        var tags = t.tags
        if tags["mlflow.traceName"] == nil, !t.name.isEmpty { tags["mlflow.traceName"] = t.name }
        self.init(
            requestID: MLflow.wireTraceID(t.traceID), experimentID: t.experimentID, timestampMs: t.timestampMilliseconds,
            executionTimeMs: Int64(t.latencyMilliseconds.rounded()), status: t.mlflowState, requestMetadata: pairs(t.metadata),
            tags: pairs(tags))
    }
}
