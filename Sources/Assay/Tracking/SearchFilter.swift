import Foundation

/// A parsed search filter in MLflow's grammar: comparisons joined by `AND`.
///
/// ```swift
/// let filter = try SearchFilter("metrics.accuracy > 0.5 and params.model = 'gpt'", for: .runs)
/// filter.conditions.count   // 2
/// ```
///
/// There is no `OR`, `NOT` or grouping. A run that lacks the metric, param or tag a comparison names
/// never matches it (only `IS NULL` matches a missing param or tag). Stores turn the conditions into
/// parameterized SQL by the SQL stores; values never become SQL text.
public struct SearchFilter: Sendable, Equatable {
    /// What a filter or an ordering is about.
    public enum Subject: Sendable, Equatable {
        /// Runs (`runs/search`).
        case runs
        /// Experiments (`experiments/search`).
        case experiments
        /// Traces (`assay evaluate --traces --trace-filter`, MLflow's `traces/search`): attributes, tags
        /// and `request_metadata`.
        case traces
        /// Logged models (`logged-models/search`): attributes, tags, params and metrics.
        case loggedModels
        /// Evaluation datasets (`datasets/search`): attributes and tags.
        case datasets
    }

    /// The AND-ed comparisons, in the order written.
    public var conditions: [SearchCondition]

    /// No conditions: matches everything.
    public init() {
        conditions = []
    }

    /// The most comparisons a filter may AND together; more is an `invalidInput` error (databases refuse
    /// statements past their own limits, and no person writes that many).
    public static let maxConditions = 100
    /// The most values all of a filter's IN lists may hold together.
    public static let maxListValues = 10_000

    /// Parses `text` (empty text matches everything); a malformed filter is an `invalidInput` error
    /// with MLflow's wording.
    public init(_ text: String?, for subject: Subject) throws(AssayError) {
        var tokens = try SearchTokenizer.tokens(text ?? "")
        conditions = []
        guard !tokens.isEmpty else { return }
        var listValues = 0
        while true {
            guard conditions.count < Self.maxConditions else {
                throw .invalidInput("Invalid filter: more than \(Self.maxConditions) comparisons joined by AND")
            }
            let condition = try Self.comparison(&tokens, subject)
            if case .list(let items) = condition.value { listValues += items.count }
            guard listValues <= Self.maxListValues else {
                throw .invalidInput("Invalid filter: its IN lists hold more than \(Self.maxListValues) values")
            }
            conditions.append(condition)
            guard let next = tokens.first else { break }
            guard next.isKeyword("AND") else {
                throw .invalidInput(
                    "Search filter contained multiple expression '\(text ?? "")'. Provide AND-ed expression list.")
            }
            tokens.removeFirst()
            guard !tokens.isEmpty else { throw .invalidInput("Invalid filter '\(text ?? "")': nothing after AND") }
        }
    }

    /// Whether values pass every condition (for filters evaluated in memory, such as trace filters):
    /// attributes by their bare name, others as `tags.KEY`, `params.KEY`, `metadata.KEY`. A missing
    /// value never matches; a list value (the runs a trace belongs to) matches `=` and `IN` when any of
    /// its items does.
    public func matches(_ values: [String: DataValue]) -> Bool {
        conditions.allSatisfy { condition in
            guard let value = values[condition.key.valueName], !value.isNull else { return false }
            if case .list(let items) = value {
                switch condition.comparator {
                case .equal, .in, .like, .ilike:
                    return items.contains { Self.compare(condition, $0) }
                default:
                    return items.allSatisfy { Self.compare(condition, $0) }
                }
            }
            return Self.compare(condition, value)
        }
    }

    /// Items in the order of `clauses` (each a value's name and whether smaller comes first), for stores
    /// that search in memory: numbers compare as numbers, anything else as text, a missing value as null;
    /// items equal on every clause keep their order.
    public static func ordered<T>(_ items: [T], by clauses: [(key: String, ascending: Bool)], values: (T) -> [String: DataValue]) -> [T] {
        let keyed = items.map { (item: $0, values: values($0)) }
        return keyed.enumerated().sorted { a, b in
            for (key, ascending) in clauses {
                let (x, y) = (a.element.values[key] ?? .null, b.element.values[key] ?? .null)
                if x == y { continue }
                let less = if let p = x.doubleValue, let q = y.doubleValue { p < q } else { x.text < y.text }
                return ascending ? less : !less
            }
            return a.offset < b.offset
        }.map(\.element.item)
    }

    private static func compare(_ condition: SearchCondition, _ value: DataValue) -> Bool {
        switch (condition.comparator, condition.value) {
        case (.like, .string(let p)): return like(p, value.text)
        case (.ilike, .string(let p)): return like(p.lowercased(), value.text.lowercased())
        case (.in, .list(let items)): return items.contains(value.text)
        case (.notIn, .list(let items)): return !items.contains(value.text)
        case (let c, .string(let s)): return c == .equal ? value.text == s : c == .notEqual ? value.text != s : false
        case (let c, .number(let n)):
            guard let v = value.doubleValue else { return false }
            switch c {
            case .equal: return v == n
            case .notEqual: return v != n
            case .greater: return v > n
            case .greaterOrEqual: return v >= n
            case .less: return v < n
            case .lessOrEqual: return v <= n
            default: return false
            }
        default: return false
        }
    }

    /// SQL LIKE, case-sensitive: `%` any run of characters, `_` exactly one (iterative, one backtrack
    /// point per `%`).
    public static func like(_ pattern: String, _ value: String) -> Bool {
        let p = Array(pattern.unicodeScalars)
        let v = Array(value.unicodeScalars)
        var (i, j) = (0, 0)
        var star: Int? = nil
        var mark = 0
        while j < v.count {
            if i < p.count, p[i] == "%" {
                star = i
                mark = j
                i += 1
            } else if i < p.count, p[i] == "_" || p[i] == v[j] {
                i += 1
                j += 1
            } else if let s = star {
                i = s + 1
                mark += 1
                j = mark
            } else {
                return false
            }
        }
        while i < p.count, p[i] == "%" { i += 1 }
        return i == p.count
    }

    /// The filter in the grammar it was parsed from (keys backticked, strings single-quoted), for
    /// sending it on to another server.
    public var text: String {
        conditions.map { condition in
            let value: String
            switch condition.value {
            case .none: value = ""
            case .number(let n): value = " " + (n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : "\(n)")
            case .string(let s): value = " " + Self.quote(s)
            case .list(let items): value = " (" + items.map(Self.quote).joined(separator: ", ") + ")"
            }
            return "\(condition.key.text) \(condition.comparator.rawValue)\(value)"
        }.joined(separator: " AND ")
    }

    /// `s` as a quoted string of the grammar (`'it''s'`), safe to put into a filter.
    public static func quote(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
    }

    private static func comparison(
        _ tokens: inout ArraySlice<SearchToken>, _ subject: Subject
    ) throws(AssayError)
        -> SearchCondition
    {
        let key = try SearchKey.parse(&tokens, subject)
        guard let first = tokens.popFirst() else { throw .invalidInput("Invalid filter: no comparator after '\(key)'") }
        let comparator: SearchComparator
        switch first {
        case .symbol(let s):
            guard let c = SearchComparator(rawValue: s == "<>" ? "!=" : s) else {
                throw .invalidInput("Invalid comparator '\(s)' not one of '\(key.comparators.map(\.rawValue))'")
            }
            comparator = c
        case .word(let w) where w.uppercased() == "IS":
            if tokens.first?.isKeyword("NOT") == true {
                tokens.removeFirst()
                comparator = .isNotNull
            } else {
                comparator = .isNull
            }
            guard tokens.popFirst()?.isKeyword("NULL") == true else { throw .invalidInput("Invalid filter: expected NULL after IS") }
        case .word(let w) where w.uppercased() == "NOT":
            guard tokens.popFirst()?.isKeyword("IN") == true else { throw .invalidInput("Invalid filter: expected IN after NOT") }
            comparator = .notIn
        case .word(let w) where SearchComparator(rawValue: w.uppercased()) != nil:
            comparator = SearchComparator(rawValue: w.uppercased())!
        default:
            throw .invalidInput("Invalid comparator '\(first.text)' not one of '\(key.comparators.map(\.rawValue))'")
        }
        guard key.comparators.contains(comparator) else {
            throw .invalidInput("Invalid comparator '\(comparator.rawValue)' not one of '\(key.comparators.map(\.rawValue))' for \(key)")
        }
        let value: SearchValue
        switch comparator {
        case .isNull, .isNotNull:
            value = .none
        case .in, .notIn:
            value = .list(try list(&tokens, key))
        default:
            value = try single(&tokens, key)
        }
        return SearchCondition(key: key, comparator: comparator, value: value)
    }

    private static func single(_ tokens: inout ArraySlice<SearchToken>, _ key: SearchKey) throws(AssayError) -> SearchValue {
        guard let token = tokens.popFirst() else { throw .invalidInput("Invalid filter: no value after the comparator for \(key)") }
        if key.isNumeric {
            guard case .number(let n) = token else {
                throw .invalidInput("Expected numeric value type for \(key.entity.name). Found \(token.text)")
            }
            return .number(n)
        }
        switch token {
        case .quoted(let s), .doubleQuoted(let s): return .string(s)
        default:
            throw .invalidInput(
                "\(key.entity.name.prefix(1).uppercased() + key.entity.name.dropFirst()) value is either not quoted or unidentified quote types used for string value \(token.text). Use either single or double quotes."
            )
        }
    }

    private static func list(_ tokens: inout ArraySlice<SearchToken>, _ key: SearchKey) throws(AssayError) -> [String] {
        guard tokens.popFirst() == .symbol("(") else { throw .invalidInput("Invalid filter: IN needs a list in parentheses for \(key)") }
        var values: [String] = []
        while true {
            switch tokens.popFirst() {
            case .quoted(let s)?, .doubleQuoted(let s)?: values.append(s)
            default: throw .invalidInput("Invalid filter: the IN list for \(key) must hold quoted strings")
            }
            switch tokens.popFirst() {
            case .symbol(",")?: continue
            case .symbol(")")?: return values
            default: throw .invalidInput("Invalid filter: the IN list for \(key) is not closed")
            }
        }
    }
}

/// One comparison of a filter: `metrics.accuracy > 0.5`, `tags.stage IS NULL`, `run_id IN ('a','b')`.
public struct SearchCondition: Sendable, Equatable {
    /// What is compared.
    public var key: SearchKey
    /// How.
    public var comparator: SearchComparator
    /// With what.
    public var value: SearchValue
}

/// The comparators of the grammar.
public enum SearchComparator: String, Sendable, Equatable {
    case equal = "=", notEqual = "!=", greater = ">", greaterOrEqual = ">=", less = "<", lessOrEqual = "<="
    case like = "LIKE", ilike = "ILIKE", `in` = "IN", notIn = "NOT IN", isNull = "IS NULL", isNotNull = "IS NOT NULL"

    static let numeric: [SearchComparator] = [.equal, .notEqual, .greater, .greaterOrEqual, .less, .lessOrEqual]
    static let text: [SearchComparator] = [.equal, .notEqual, .like, .ilike]
}

/// A comparison's value.
public enum SearchValue: Sendable, Equatable {
    case number(Double)
    case string(String)
    case list([String])
    /// `IS NULL` and `IS NOT NULL` take none.
    case none
}

/// What a comparison or an ordering looks at: a metric, param or tag by key, an attribute, or a
/// dataset field.
public struct SearchKey: Sendable, Equatable, CustomStringConvertible {
    /// The kind of thing a key names.
    public enum Entity: Sendable, Equatable {
        case metric, param, tag, attribute, dataset
        /// A trace's request metadata (`request_metadata.`mlflow.modelId``).
        case metadata

        var name: String {
            switch self {
            case .metric: "metric"
            case .param: "parameter"
            case .tag: "tag"
            case .attribute: "attribute"
            case .dataset: "dataset"
            case .metadata: "metadata"
            }
        }
    }

    /// The kind of thing the key names.
    public var entity: Entity
    /// The metric, param or tag key, or the canonical attribute or dataset field name.
    public var key: String
    let subject: SearchFilter.Subject

    public var description: String { "\(entity.name) '\(key)'" }

    /// `metrics.`accuracy``, `attributes.status`: the key as the grammar writes it.
    public var text: String {
        let prefix: String
        switch entity {
        case .metric: prefix = "metrics"
        case .param: prefix = "params"
        case .tag: prefix = "tags"
        case .attribute: return "attributes.\(key)"
        case .dataset: return "dataset.\(key)"
        case .metadata: prefix = "request_metadata"
        }
        return "\(prefix).`\(key.replacingOccurrences(of: "`", with: "``"))`"
    }

    static let runTextAttributes = ["run_id", "run_name", "status", "user_id", "artifact_uri"]
    package static let runNumberAttributes = ["start_time", "end_time"]
    static let experimentTextAttributes = ["name", "experiment_id"]
    static let experimentNumberAttributes = ["creation_time", "last_update_time"]
    static let datasetFields = ["name", "digest"]
    /// `text` is the whole text of a trace's spans (`trace.text LIKE '%refund%'`).
    static let traceTextAttributes = ["trace_id", "name", "status", "model", "run_id", "client_request_id", "text"]
    static let traceNumberAttributes = ["latency_ms", "input_tokens", "output_tokens", "span_count", "timestamp_ms", "execution_time_ms"]
    static let loggedModelTextAttributes = ["model_id", "name", "status", "source_run_id", "model_type", "experiment_id"]
    static let loggedModelNumberAttributes = ["creation_timestamp", "last_updated_timestamp"]
    static let datasetTextAttributes = ["name", "dataset_id", "created_by", "last_updated_by", "digest"]
    static let datasetNumberAttributes = ["created_time", "last_update_time"]

    /// The key a value is found under by ``SearchFilter/matches(_:)``: an attribute's name, else
    /// `tags.KEY`, `params.KEY`, `metrics.KEY`, `metadata.KEY`.
    public var valueName: String {
        switch entity {
        case .attribute, .dataset: key
        case .tag: "tags." + key
        case .param: "params." + key
        case .metric: "metrics." + key
        case .metadata: "metadata." + key
        }
    }

    var isNumeric: Bool {
        switch entity {
        case .metric: true
        case .attribute:
            switch subject {
            case .runs: Self.runNumberAttributes.contains(key)
            case .experiments: Self.experimentNumberAttributes.contains(key)
            case .traces: Self.traceNumberAttributes.contains(key)
            case .loggedModels: Self.loggedModelNumberAttributes.contains(key)
            case .datasets: Self.datasetNumberAttributes.contains(key)
            }
        default: false
        }
    }

    var comparators: [SearchComparator] {
        switch entity {
        case .metric: return SearchComparator.numeric
        case .param, .tag, .metadata: return SearchComparator.text + [.isNull, .isNotNull]
        case .dataset: return SearchComparator.text + [.in, .notIn]
        case .attribute:
            if isNumeric { return SearchComparator.numeric }
            return SearchComparator.text + (key == "run_id" || key == "experiment_id" ? [.in, .notIn] : [])
        }
    }

    /// Reads `entity.key` (or a bare attribute) from the front of `tokens`.
    static func parse(_ tokens: inout ArraySlice<SearchToken>, _ subject: SearchFilter.Subject) throws(AssayError) -> SearchKey {
        guard let first = tokens.popFirst() else { throw .invalidInput("Invalid filter: expected a key") }
        var entityName: String
        var key: String
        switch first {
        case .word(let word):
            if let dot = word.firstIndex(of: ".") {
                entityName = String(word[..<dot])
                key = String(word[word.index(after: dot)...])
                if key.isEmpty {
                    switch tokens.popFirst() {
                    case .backticked(let k)?, .doubleQuoted(let k)?: key = k
                    default: throw .invalidInput("Invalid filter: expected a key after '\(word)'")
                    }
                }
            } else {
                (entityName, key) = ("attribute", word)
            }
        case .backticked(let k), .doubleQuoted(let k):
            (entityName, key) = ("attribute", k)
        default:
            throw .invalidInput("Invalid filter: expected a key, found '\(first.text)'")
        }
        entityName = entityName.trimmingBackticks.lowercased()
        let entity: Entity
        switch (entityName, subject) {
        case ("metric", .runs), ("metrics", .runs), ("metric", .loggedModels), ("metrics", .loggedModels): entity = .metric
        case ("param", .runs), ("params", .runs), ("parameter", .runs), ("parameters", .runs): entity = .param
        case ("param", .loggedModels), ("params", .loggedModels): entity = .param
        case ("tag", _), ("tags", _): entity = .tag
        case ("attribute", _), ("attributes", _), ("attr", _), ("run", .runs), ("trace", .traces): entity = .attribute
        case ("dataset", .runs), ("datasets", .runs): entity = .dataset
        case ("request_metadata", .traces), ("metadata", .traces): entity = .metadata
        default:
            let valid =
                switch subject {
                case .runs: "['metric', 'parameter', 'tag', 'attribute', 'dataset']"
                case .experiments: "['tag', 'attribute']"
                case .traces: "['attribute', 'tag', 'request_metadata']"
                case .loggedModels: "['attribute', 'tag', 'param', 'metric']"
                case .datasets: "['attribute', 'tag']"
                }
            throw .invalidInput("Invalid entity type '\(entityName)'. Valid values are \(valid)")
        }
        switch entity {
        case .attribute:
            let canonical = canonicalAttribute(key, subject)
            let valid: [String]
            switch subject {
            case .runs: valid = runTextAttributes + runNumberAttributes
            case .experiments: valid = experimentTextAttributes + experimentNumberAttributes
            case .traces: valid = traceTextAttributes + traceNumberAttributes
            case .loggedModels: valid = loggedModelTextAttributes + loggedModelNumberAttributes
            case .datasets: valid = datasetTextAttributes + datasetNumberAttributes
            }
            guard valid.contains(canonical) else {
                throw .invalidInput("Invalid attribute key '\(key)' specified. Valid keys are '\(valid)'")
            }
            key = canonical
        case .dataset:
            guard datasetFields.contains(key) else {
                throw .invalidInput("Invalid dataset key '\(key)' specified. Valid keys are '\(datasetFields)'")
            }
        default:
            break
        }
        return SearchKey(entity: entity, key: key, subject: subject)
    }

    static func canonicalAttribute(_ key: String, _ subject: SearchFilter.Subject) -> String {
        if subject == .traces {
            switch key {
            case "state": return "status"
            case "request_id": return "trace_id"
            case "timestamp": return "timestamp_ms"
            case "execution_time", "execution_duration": return "execution_time_ms"
            default: return key
            }
        }
        guard subject == .runs else { return key }
        switch key {
        case "run name", "Run name", "Run Name", "run_name": return "run_name"
        case "created", "Created": return "start_time"
        case "run_uuid": return "run_id"
        default: return key
        }
    }
}

/// One `order_by` clause: `"metrics.accuracy DESC"`.
public struct SearchOrder: Sendable, Equatable {
    /// What to order by.
    public var key: SearchKey
    /// Smallest first (missing values still come last).
    public var ascending: Bool

    /// The most order-by clauses a search may give.
    public static let maxClauses = 20

    /// The clause as the grammar writes it: `metrics.`accuracy` DESC`.
    public var text: String { "\(key.text) \(ascending ? "ASC" : "DESC")" }

    /// Parses order-by clauses; an unknown key, a bad direction or a key given twice is an `invalidInput` error.
    public static func parse(_ clauses: [String], for subject: SearchFilter.Subject) throws(AssayError) -> [SearchOrder] {
        guard clauses.count <= maxClauses else {
            throw .invalidInput("Invalid order_by: \(clauses.count) clauses; at most \(maxClauses) may be given")
        }
        var orders: [SearchOrder] = []
        for clause in clauses {
            var tokens = try SearchTokenizer.tokens(clause)
            let key = try SearchKey.parse(&tokens, subject)
            guard key.entity != .dataset else { throw .invalidInput("Invalid order_by clause '\(clause)': datasets cannot be ordered by") }
            var ascending = true
            if let direction = tokens.popFirst() {
                switch direction {
                case .word(let w) where w.uppercased() == "ASC": ascending = true
                case .word(let w) where w.uppercased() == "DESC": ascending = false
                default: throw .invalidInput("Invalid order_by clause '\(clause)': expected ASC or DESC")
                }
            }
            guard tokens.isEmpty else { throw .invalidInput("Invalid order_by clause '\(clause)'") }
            guard !orders.contains(where: { $0.key == key }) else {
                throw .invalidInput("`order_by` contains duplicate fields: \(clause)")
            }
            orders.append(SearchOrder(key: key, ascending: ascending))
        }
        return orders
    }
}

/// The opaque `next_page_token` of searches: base64 of `{"offset": N}`, as MLflow's server writes it.
public enum PageToken {
    /// The token for a page starting at `offset`.
    public static func encode(offset: Int) -> String {
        Data("{\"offset\": \(offset)}".utf8).base64EncodedString()
    }

    /// The offset a token names; nil or empty gives 0, anything unreadable is an `invalidInput` error.
    public static func offset(_ token: String?) throws(AssayError) -> Int {
        guard let token, !token.isEmpty else { return 0 }
        guard let data = Data(base64Encoded: token), let text = String(data: data, encoding: .utf8),
            case .object(let fields)? = try? DataValue(json: text), let offset = fields["offset"]?.doubleValue, offset >= 0,
            offset == offset.rounded(), offset <= Double(Int32.max)
        else {
            throw .invalidInput("Invalid page token '\(token)'")
        }
        return Int(offset)
    }
}

enum SearchToken: Equatable {
    case word(String)
    case quoted(String)
    case doubleQuoted(String)
    case backticked(String)
    case number(Double)
    case symbol(String)

    var text: String {
        switch self {
        case .word(let s), .symbol(let s): s
        case .quoted(let s): "'\(s)'"
        case .doubleQuoted(let s): "\"\(s)\""
        case .backticked(let s): "`\(s)`"
        case .number(let n): "\(n)"
        }
    }

    func isKeyword(_ keyword: String) -> Bool {
        if case .word(let w) = self { return w.uppercased() == keyword }
        return false
    }
}

enum SearchTokenizer {
    static func tokens(_ text: String) throws(AssayError) -> ArraySlice<SearchToken> {
        var tokens: [SearchToken] = []
        let chars = Array(text.unicodeScalars)
        var i = 0
        func isWordChar(_ c: Unicode.Scalar) -> Bool {
            c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == "." || c == "-" || c == ":" || c == "/"
        }
        while i < chars.count {
            let c = chars[i]
            if c.properties.isWhitespace {
                i += 1
            } else if c == "'" || c == "\"" || c == "`" {
                var value = String.UnicodeScalarView()
                var j = i + 1
                var closed = false
                while j < chars.count {
                    if chars[j] == c {
                        if j + 1 < chars.count, chars[j + 1] == c {
                            value.append(c)
                            j += 2
                            continue
                        }
                        closed = true
                        break
                    }
                    if chars[j] == "\\", j + 1 < chars.count, chars[j + 1] == c {
                        value.append(c)
                        j += 2
                        continue
                    }
                    value.append(chars[j])
                    j += 1
                }
                guard closed else { throw .invalidInput("Invalid filter '\(text)': unclosed \(c) quote") }
                let s = String(value)
                // A quoted key may follow `entity.` directly (tags.`mlflow.runName`).
                if case .word(let w)? = tokens.last, w.hasSuffix("."), i > 0, chars[i - 1] == "." {
                    tokens.append(c == "`" ? .backticked(s) : .doubleQuoted(s))
                } else {
                    tokens.append(c == "'" ? .quoted(s) : c == "`" ? .backticked(s) : .doubleQuoted(s))
                }
                i = j + 1
            } else if "=!<>".unicodeScalars.contains(c) {
                var j = i
                while j < chars.count, "=!<>".unicodeScalars.contains(chars[j]) { j += 1 }
                tokens.append(.symbol(String(String.UnicodeScalarView(chars[i..<j]))))
                i = j
            } else if c == "(" || c == ")" || c == "," {
                tokens.append(.symbol(String(c)))
                i += 1
            } else if isWordChar(c) || c == "+" {
                var j = i + 1
                while j < chars.count,
                    isWordChar(chars[j]) || ((chars[j] == "+" || chars[j] == "-") && (chars[j - 1] == "e" || chars[j - 1] == "E"))
                {
                    j += 1
                }
                let word = String(String.UnicodeScalarView(chars[i..<j]))
                if let number = Double(word), word.first != "." || word.count > 1, !word.lowercased().contains("n") {
                    tokens.append(.number(number))
                } else {
                    tokens.append(.word(word))
                }
                i = j
            } else {
                throw .invalidInput("Invalid filter '\(text)': unexpected character '\(c)'")
            }
        }
        return tokens[...]
    }
}

extension String {
    fileprivate var trimmingBackticks: String {
        hasPrefix("`") && hasSuffix("`") && count >= 2 ? String(dropFirst().dropLast()) : self
    }
}
