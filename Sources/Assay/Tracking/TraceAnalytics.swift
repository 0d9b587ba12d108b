import Foundation

/// How strongly two trace filters go together in some experiments (MLflow's
/// `calculate_trace_filter_correlation`): how many traces each matches, how many both, and their
/// normalized pointwise mutual information, from −1 (never together) through 0 (independent) to 1
/// (always together).
///
/// ```swift
/// let c = try await store.filterCorrelation(
///     experimentIDs: ["1"], try SearchFilter("tags.env = 'prod'", for: .traces),
///     try SearchFilter("status = 'ERROR'", for: .traces))
/// print(c.jointCount, c.npmi)   // NaN when either filter matches no trace
/// ```
public struct TraceFilterCorrelation: Sendable, Equatable {
    public var totalCount: Int
    public var filter1Count: Int
    public var filter2Count: Int
    public var jointCount: Int
    /// NaN when either filter matches nothing; −1 when both match traces but never the same one.
    public var npmi: Double
    /// The same with half a trace added to each cell of the 2×2 table (Jeffreys' prior), steadier on few traces.
    public var npmiSmoothed: Double

    public init(total: Int, filter1: Int, filter2: Int, joint: Int) {
        (totalCount, filter1Count, filter2Count, jointCount) = (total, filter1, filter2, joint)
        let (n11, n10, n01) = (joint, filter1 - joint, filter2 - joint)
        let n00 = total - filter1 - filter2 + joint
        guard total > 0, filter1 > 0, filter2 > 0, min(n11, n10, n01, n00) >= 0 else {
            (npmi, npmiSmoothed) = (.nan, .nan)
            return
        }
        let counts = (Double(n11), Double(n10), Double(n01), Double(n00))
        npmi = joint == 0 ? -1 : Self.npmi(counts, smoothing: 0)
        npmiSmoothed = Self.npmi(counts, smoothing: 0.5)
    }

    public static func == (a: Self, b: Self) -> Bool {
        func same(_ x: Double, _ y: Double) -> Bool { x == y || (x.isNaN && y.isNaN) }
        return (a.totalCount, a.filter1Count, a.filter2Count, a.jointCount) == (b.totalCount, b.filter1Count, b.filter2Count, b.jointCount)
            && same(a.npmi, b.npmi) && same(a.npmiSmoothed, b.npmiSmoothed)
    }

    /// NPMI of a 2×2 table (both, first only, second only, neither) with `smoothing` added to each cell.
    static func npmi(_ cells: (Double, Double, Double, Double), smoothing: Double) -> Double {
        let (n11, n10, n01, n00) = (cells.0 + smoothing, cells.1 + smoothing, cells.2 + smoothing, cells.3 + smoothing)
        let total = n11 + n10 + n01 + n00
        let (first, second) = (n11 + n10, n11 + n01)
        guard first > 0, second > 0, n11 > 0 else { return .nan }
        if cells.1 == 0, cells.2 == 0, cells.3 == 0 { return 1 }
        let pmi = (log(n11) + log(total)) - (log(first) + log(second))
        return max(-1, min(1, pmi / -(log(n11) - log(total))))
    }
}

/// A question about traces in aggregate (MLflow's `query_trace_metrics`): one metric of traces, spans
/// or assessments, aggregated per group of dimension values (and per time bucket when asked).
///
/// ```swift
/// let query = try TraceMetricQuery(view: .traces, metric: "latency", aggregations: [.average, .percentile(95)],
///                                  dimensions: ["trace_name"])
/// for point in try await store.traceMetrics(experimentIDs: ["1"], query) { print(point.dimensions, point.values) }
/// ```
public struct TraceMetricQuery: Sendable {
    /// What is counted: traces, their spans, or the assessments on them.
    public enum View: String, Sendable, CaseIterable {
        case traces = "TRACES", spans = "SPANS", assessments = "ASSESSMENTS"
    }

    /// How a group's values become one number.
    public enum Aggregation: Sendable, Equatable {
        case count, sum, average, minimum, maximum
        /// A percentile between 0 and 100, linearly interpolated (PostgreSQL's `percentile_cont`).
        case percentile(Double)

        /// The name of the aggregation in MLflow's answers (`COUNT`, `AVG`, `P95.0`).
        public var name: String {
            switch self {
            case .count: "COUNT"
            case .sum: "SUM"
            case .average: "AVG"
            case .minimum: "MIN"
            case .maximum: "MAX"
            case .percentile(let p): "P" + (p == p.rounded() && abs(p) < 1e15 ? "\(Int(p)).0" : "\(p)")
            }
        }

        /// An aggregation by MLflow's enum name; PERCENTILE needs a value in 0...100.
        public init(name: String, percentile: Double?) throws(AssayError) {
            switch name.uppercased() {
            case "COUNT": self = .count
            case "SUM": self = .sum
            case "AVG": self = .average
            case "MIN": self = .minimum
            case "MAX": self = .maximum
            case "PERCENTILE":
                guard let percentile, (0...100).contains(percentile) else {
                    throw .invalidInput("A PERCENTILE aggregation needs a percentile_value between 0 and 100.")
                }
                self = .percentile(percentile)
            default: throw .invalidInput("Invalid aggregation type '\(name)': use COUNT, SUM, AVG, MIN, MAX or PERCENTILE.")
            }
        }

        var kind: String {
            if case .percentile = self { return "PERCENTILE" }
            return name
        }
    }

    public var view: View
    public var metric: String
    public var aggregations: [Aggregation]
    public var dimensions: [String]
    /// Conditions such as `trace.status = 'OK'`, `trace.tag.env = 'prod'`, `span.type = 'LLM'`, `assessment.name = 'quality'`.
    public var filters: [String]
    /// With a time range, groups are also split into buckets of this many seconds (dimension `time_bucket`).
    public var timeIntervalSeconds: Int64?
    /// Only traces that started in this range (milliseconds since 1970), when given.
    public var startTimeMilliseconds: Int64?
    public var endTimeMilliseconds: Int64?
    public var maxResults: Int

    /// The metrics each view knows, with the aggregations and dimensions each takes.
    static let catalog: [View: [String: (aggregations: Set<String>, dimensions: Set<String>)]] = [
        .traces: [
            "trace_count": (["COUNT"], ["trace_name", "trace_status"]),
            "session_count": (["COUNT"], []),
            "latency": (["AVG", "PERCENTILE", "MIN", "MAX"], ["trace_name", "trace_status"]),
            "input_tokens": (["SUM", "AVG", "PERCENTILE", "MIN", "MAX"], ["trace_name"]),
            "output_tokens": (["SUM", "AVG", "PERCENTILE", "MIN", "MAX"], ["trace_name"]),
            "total_tokens": (["SUM", "AVG", "PERCENTILE", "MIN", "MAX"], ["trace_name"]),
        ],
        .spans: [
            "span_count": (["COUNT"], ["span_name", "span_type", "span_status", "span_model_name", "span_model_provider"]),
            "latency": (["AVG", "PERCENTILE", "MIN", "MAX"], ["span_name", "span_status", "span_type"]),
        ],
        .assessments: [
            "assessment_count": (["COUNT"], ["assessment_name", "assessment_value"]),
            "assessment_value": (["AVG", "PERCENTILE", "MIN", "MAX"], ["assessment_name"]),
        ],
    ]

    /// A query, checked: the metric must be one of the view's, and each aggregation and dimension one it takes.
    public init(
        view: View, metric: String, aggregations: [Aggregation], dimensions: [String] = [], filters: [String] = [],
        timeIntervalSeconds: Int64? = nil, startTimeMilliseconds: Int64? = nil, endTimeMilliseconds: Int64? = nil,
        maxResults: Int = 1000
    ) throws(AssayError) {
        guard let known = Self.catalog[view], let config = known[metric] else {
            let names = (Self.catalog[view] ?? [:]).keys.sorted()
            throw .invalidInput("Unsupported metric '\(metric)' for view type \(view.rawValue). Supported metrics: \(names)")
        }
        guard !aggregations.isEmpty else { throw .invalidInput("A trace metrics query needs at least one aggregation.") }
        for aggregation in aggregations where !config.aggregations.contains(aggregation.kind) {
            throw .invalidInput(
                "Unsupported aggregation type \(aggregation.kind) for metric '\(metric)'. Supported: \(config.aggregations.sorted())")
        }
        for dimension in dimensions where !config.dimensions.contains(dimension) {
            throw .invalidInput("Unsupported dimension '\(dimension)' for metric '\(metric)'. Supported: \(config.dimensions.sorted())")
        }
        if let interval = timeIntervalSeconds {
            guard interval > 0 else { throw .invalidInput("time_interval_seconds must be positive, got \(interval).") }
            guard startTimeMilliseconds != nil, endTimeMilliseconds != nil else {
                throw .invalidInput("start_time_ms and end_time_ms are required if time_interval_seconds is set")
            }
        }
        guard maxResults > 0 else { throw .invalidInput("max_results must be positive, got \(maxResults).") }
        self.view = view
        self.metric = metric
        self.aggregations = aggregations
        self.dimensions = dimensions
        self.filters = filters
        self.timeIntervalSeconds = timeIntervalSeconds
        self.startTimeMilliseconds = startTimeMilliseconds
        self.endTimeMilliseconds = endTimeMilliseconds
        self.maxResults = maxResults
    }
}

/// One group of a ``TraceMetricQuery``'s answer: its dimension values and one number per aggregation.
public struct TraceMetricPoint: Sendable, Equatable {
    public var metric: String
    public var dimensions: [String: String]
    /// By aggregation name (`COUNT`, `AVG`, `P95.0`).
    public var values: [String: Double]

    public init(metric: String, dimensions: [String: String], values: [String: Double]) {
        self.metric = metric
        self.dimensions = dimensions
        self.values = values
    }
}

extension TraceStore {
    /// Every trace of the experiments, newest first, read page by page.
    func allTraces(in experimentIDs: [String]) async throws(AssayError) -> [TraceSummary] {
        var all: [TraceSummary] = []
        for experiment in experimentIDs {
            var start = 0
            while true {
                let page = try await traces(in: experiment, since: nil, limit: 5000, offset: start)
                all += page
                guard page.count == 5000 else { break }
                start += page.count
            }
        }
        return all
    }

    /// Whether a trace passes `filter`. A `text` condition (MLflow's `trace.text LIKE '%…%'`) reads the
    /// trace's spans, and only for traces that pass the other conditions.
    func passes(_ trace: TraceSummary, _ filter: SearchFilter) async throws(AssayError) -> Bool {
        let (text, others) = filter.splitting(attribute: "text")
        var values = trace.filterValues
        guard others.matches(values) else { return false }
        guard !text.conditions.isEmpty else { return true }
        let spans = try await self.trace(id: trace.traceID).1
        values["text"] = .string(spans.map(\.searchableText).joined(separator: "\n"))
        return text.matches(values)
    }

    /// How two filters go together over the traces of some experiments that pass `base` (all when it is empty).
    public func filterCorrelation(
        experimentIDs: [String], _ first: SearchFilter, _ second: SearchFilter, base: SearchFilter = SearchFilter()
    ) async throws(AssayError) -> TraceFilterCorrelation {
        var (total, one, two, both) = (0, 0, 0, 0)
        for trace in try await allTraces(in: experimentIDs) {
            guard try await passes(trace, base) else { continue }
            total += 1
            let a = try await passes(trace, first)
            let b = try await passes(trace, second)
            if a { one += 1 }
            if b { two += 1 }
            if a && b { both += 1 }
        }
        return TraceFilterCorrelation(total: total, filter1: one, filter2: two, joint: both)
    }

    /// The answer to a trace metrics query over some experiments, groups ordered by their dimension values.
    public func traceMetrics(experimentIDs: [String], _ query: TraceMetricQuery) async throws(AssayError) -> [TraceMetricPoint] {
        let filters = try query.filters.map { text throws(AssayError) in try TraceMetricFilter(text, view: query.view) }
        var samples: [(dimensions: [String: String], value: Double?, time: Int64)] = []
        var sessions: [[String: String]: Set<String>] = [:]
        for trace in try await allTraces(in: experimentIDs) {
            let time = trace.timestampMilliseconds
            if let start = query.startTimeMilliseconds, time < start { continue }
            if let end = query.endTimeMilliseconds, time > end { continue }
            guard filters.filter({ $0.on == "trace" }).allSatisfy({ $0.matches(trace: trace) }) else { continue }
            switch query.view {
            case .traces:
                var dimensions: [String: String] = [:]
                for name in query.dimensions {
                    dimensions[name] = name == "trace_name" ? (trace.tags["mlflow.traceName"] ?? trace.name) : trace.mlflowState
                }
                let value: Double?
                switch query.metric {
                case "latency": value = trace.latencyMilliseconds
                case "input_tokens": value = trace.inputTokens.map(Double.init)
                case "output_tokens": value = trace.outputTokens.map(Double.init)
                case "total_tokens":
                    value =
                        trace.inputTokens == nil && trace.outputTokens == nil
                        ? nil : Double((trace.inputTokens ?? 0) + (trace.outputTokens ?? 0))
                case "session_count":
                    guard let session = trace.metadata["mlflow.trace.session"] else { continue }
                    var key = dimensions
                    key["time_bucket"] = Self.bucket(time, query)
                    sessions[key, default: []].insert(session)
                    continue
                default: value = 1
                }
                samples.append((dimensions, value, time))
            case .spans:
                for span in try await self.trace(id: trace.traceID).1 {
                    guard filters.allSatisfy({ $0.on != "span" || $0.matches(span: span) }) else { continue }
                    var dimensions: [String: String] = [:]
                    for name in query.dimensions { dimensions[name] = span.metricDimension(name) }
                    let latency = (Double(span.endTimeNanos) - Double(span.startTimeNanos)) / 1_000_000
                    samples.append((dimensions, query.metric == "latency" ? latency : 1, span.startTimeNanos / 1_000_000))
                }
            case .assessments:
                for assessment in try await traces(ids: [trace.traceID]).first?.1 ?? [] where assessment.valid {
                    guard filters.allSatisfy({ $0.on != "assessment" || $0.matches(assessment: assessment) }) else { continue }
                    var dimensions: [String: String] = [:]
                    for name in query.dimensions {
                        dimensions[name] = name == "assessment_name" ? assessment.name : assessment.data.metricText
                    }
                    let value = query.metric == "assessment_value" ? assessment.value : 1
                    samples.append((dimensions, value, assessment.createTime))
                }
            }
        }
        var groups: [[String: String]: [Double]] = [:]
        for sample in samples {
            var key = sample.dimensions
            if query.timeIntervalSeconds != nil { key["time_bucket"] = Self.bucket(sample.time, query) }
            groups[key, default: []] += sample.value.map { [$0] } ?? []
        }
        for (key, ids) in sessions { groups[key, default: []] += Array(repeating: 1, count: ids.count) }
        let order = query.dimensions + (query.timeIntervalSeconds != nil ? ["time_bucket"] : [])
        let points = groups.compactMap { key, values -> TraceMetricPoint? in
            var aggregated: [String: Double] = [:]
            for aggregation in query.aggregations {
                if let value = Self.aggregate(values, aggregation) { aggregated[aggregation.name] = value }
            }
            guard !aggregated.isEmpty else { return nil }
            return TraceMetricPoint(metric: query.metric, dimensions: key, values: aggregated)
        }
        return Array(
            points.sorted { a, b in
                for name in order where a.dimensions[name] != b.dimensions[name] {
                    return (a.dimensions[name] ?? "") < (b.dimensions[name] ?? "")
                }
                return false
            }.prefix(query.maxResults))
    }

    /// The start of `time`'s bucket as ISO 8601 (`2026-12-07T15:00:00+00:00`), when the query buckets by time.
    static func bucket(_ time: Int64, _ query: TraceMetricQuery) -> String? {
        guard let seconds = query.timeIntervalSeconds else { return nil }
        let size = seconds.saturatingMultiplied(by: 1000)
        let start = (time >= 0 ? time / size : (time - size + 1) / size).saturatingMultiplied(by: size)
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: Double(start) / 1000)).replacingOccurrences(of: "Z", with: "+00:00")
    }

    static func aggregate(_ values: [Double], _ aggregation: TraceMetricQuery.Aggregation) -> Double? {
        if case .count = aggregation { return Double(values.count) }
        guard !values.isEmpty else { return nil }
        switch aggregation {
        case .count: return Double(values.count)
        case .sum: return values.reduce(0, +)
        case .average: return values.reduce(0, +) / Double(values.count)
        case .minimum: return values.min()
        case .maximum: return values.max()
        case .percentile(let p):
            let sorted = values.sorted()
            let rank = p / 100 * Double(sorted.count - 1)
            let (low, high) = (Int(rank.rounded(.down)), Int(rank.rounded(.up)))
            return sorted[low] + (sorted[high] - sorted[low]) * (rank - Double(low))
        }
    }
}

/// One condition of a trace metrics query: `trace.status = 'OK'`, `trace.tag.env != 'dev'`,
/// `trace.metadata.user = 'u1'`, `span.name = 'retrieve'`, `span.type = 'LLM'`, `span.status = 'ERROR'`,
/// `assessment.name = 'quality'`, `assessment.type = 'feedback'`.
struct TraceMetricFilter: Sendable {
    /// `trace`, `span` or `assessment`.
    let on: String
    let field: String
    let key: String?
    let equal: Bool
    let value: String

    init(_ text: String, view: TraceMetricQuery.View) throws(AssayError) {
        let invalid = AssayError.invalidInput(
            "Invalid filter '\(text)': write trace.status, trace.tag.KEY, trace.metadata.KEY, span.name, span.type, span.status, "
                + "assessment.name or assessment.type, then = or !=, then a quoted value")
        var tokens = try SearchTokenizer.tokens(text)
        guard case .word(let path)? = tokens.popFirst() else { throw invalid }
        let parts = path.split(separator: ".", maxSplits: 2).map(String.init)
        guard parts.count >= 2 else { throw invalid }
        (on, field) = (parts[0].lowercased(), parts[1].lowercased())
        var key = parts.count == 3 ? parts[2] : nil
        if key == "" || (key == nil && (field == "tag" || field == "metadata")) {
            guard case .backticked(let k)? = tokens.popFirst() else { throw invalid }
            key = k
        }
        self.key = key
        let known: [String: [String]] = [
            "trace": ["status", "tag", "metadata"], "span": ["name", "type", "status"], "assessment": ["name", "type"],
        ]
        guard known[on]?.contains(field) == true, (key != nil) == (field == "tag" || field == "metadata") else { throw invalid }
        if on == "span" && view != .spans || on == "assessment" && view != .assessments {
            throw .invalidInput("Invalid filter '\(text)': \(on) filters apply to the \(on == "span" ? "SPANS" : "ASSESSMENTS") view only")
        }
        switch tokens.popFirst() {
        case .symbol("=")?: equal = true
        case .symbol("!=")?, .symbol("<>")?: equal = false
        default: throw invalid
        }
        switch tokens.popFirst() {
        case .quoted(let v)?, .doubleQuoted(let v)?: value = v
        default: throw invalid
        }
        guard tokens.isEmpty else { throw invalid }
    }

    private func compare(_ found: String?) -> Bool { (found == value) == equal }

    func matches(trace: TraceSummary) -> Bool {
        switch field {
        case "status": compare(trace.mlflowState)
        case "tag": compare(trace.tags[key ?? ""])
        default: compare(trace.metadata[key ?? ""])
        }
    }

    func matches(span: SpanRecord) -> Bool { compare(span.metricDimension("span_" + field)) }

    func matches(assessment: TraceAssessment) -> Bool {
        compare(field == "name" ? assessment.name : assessment.kind.rawValue)
    }
}

extension SpanRecord {
    /// A span's name, attributes and events as one text, for MLflow's `trace.text LIKE '%…%'`.
    var searchableText: String {
        var parts = [name, DataValue.object(attributes).description]
        for event in events { parts += [event.name, DataValue.object(event.attributes).description] }
        return parts.joined(separator: " ")
    }

    /// A span's value of a trace metrics dimension (`span_name`, `span_type`, `span_status`, `span_model_name`, `span_model_provider`).
    func metricDimension(_ name: String) -> String {
        func attribute(_ keys: String...) -> String {
            for key in keys { if let value = attributes[key], !value.isNull { return value.text } }
            return ""
        }
        switch name {
        case "span_name": return self.name
        case "span_type": return attribute("mlflow.spanType")
        case "span_status": return statusCode
        case "span_model_name": return attribute("mlflow.llm.model", "gen_ai.request.model", "gen_ai.response.model")
        default: return attribute("mlflow.llm.provider", "gen_ai.system", "gen_ai.provider.name")
        }
    }
}

extension DataValue {
    /// An assessment value as a dimension's text.
    var metricText: String {
        if case .string(let s) = self { return s }
        return description
    }
}

extension SearchFilter {
    /// The conditions on one attribute, and the others, as two filters.
    func splitting(attribute: String) -> (SearchFilter, SearchFilter) {
        var (named, others) = (SearchFilter(), SearchFilter())
        for condition in conditions {
            if condition.key.entity == .attribute && condition.key.key == attribute {
                named.conditions.append(condition)
            } else {
                others.conditions.append(condition)
            }
        }
        return (named, others)
    }
}
