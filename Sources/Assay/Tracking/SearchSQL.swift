/// A search turned into one SQL statement over the tracking schema both stores share (`runs`,
/// `latest_metrics`, `params`, `tags`, `inputs`, `experiments`, `experiment_tags`), with every value
/// passed as an argument: the SQL text holds only placeholders, column names and operators.
///
/// The statement selects ids (`run_uuid` or `experiment_id`), in order, one page plus one row, so the
/// caller knows whether another page follows.
public struct SearchSQL: Sendable {
    /// A value bound to a placeholder.
    public enum Argument: Sendable, Equatable {
        case text(String)
        case real(Double)
        case integer(Int64)
    }

    /// What differs between SQL databases.
    public struct Dialect: Sendable {
        /// The placeholder for the n-th argument (1-based): `?` or `$n`.
        public var placeholder: @Sendable (Int) -> String
        /// A condition true when the metric row aliased `m` holds a number rather than NaN.
        public var metricIsNumber: @Sendable (String) -> String
        /// `column LIKE pattern`, case-sensitive or not, with `%` and `_` wildcards.
        public var like: @Sendable (_ column: String, _ pattern: String, _ caseSensitive: Bool) -> String
        /// A text expression compared by code points, whatever the database's collation.
        public var binaryText: @Sendable (String) -> String

        public init(
            placeholder: @escaping @Sendable (Int) -> String, metricIsNumber: @escaping @Sendable (String) -> String,
            like: @escaping @Sendable (String, String, Bool) -> String, binaryText: @escaping @Sendable (String) -> String
        ) {
            self.placeholder = placeholder
            self.metricIsNumber = metricIsNumber
            self.like = like
            self.binaryText = binaryText
        }
    }

    /// The statement.
    public private(set) var sql = ""
    /// The values of its placeholders, in order.
    public private(set) var arguments: [Argument] = []
    private let dialect: Dialect

    private init(dialect: Dialect) {
        self.dialect = dialect
    }

    private mutating func bind(_ argument: Argument) -> String {
        arguments.append(argument)
        return dialect.placeholder(arguments.count)
    }

    private mutating func bindList(_ values: [Argument]) -> String {
        values.map { bind($0) }.joined(separator: ", ")
    }

    /// The statement selecting the ids of the runs a query matches, in its order, `limit` rows from `offset`.
    public static func runs(_ query: RunQuery, dialect: Dialect, limit: Int, offset: Int) -> SearchSQL {
        var s = SearchSQL(dialect: dialect)
        let experiments = s.bindList(query.experimentIDs.compactMap { Int64($0) }.map { .integer($0) })
        let stages = s.bindList(query.view.stages.map { .text($0) })
        var clauses = [
            experiments.isEmpty ? "1 = 0" : "r.experiment_id IN (\(experiments))", "r.lifecycle_stage IN (\(stages))",
        ]
        for condition in query.filter.conditions { clauses.append(s.runCondition(condition)) }
        var order: [String] = []
        for clause in query.orderBy { order += s.runOrder(clause) }
        if !query.orderBy.contains(where: { $0.key.entity == .attribute && $0.key.key == "start_time" }) {
            order.append("r.start_time DESC")
        }
        order.append("r.run_uuid ASC")
        s.sql = "SELECT r.run_uuid FROM runs r WHERE \(clauses.joined(separator: " AND ")) ORDER BY \(order.joined(separator: ", "))"
        s.sql += " LIMIT \(s.bind(.integer(Int64(limit)))) OFFSET \(s.bind(.integer(Int64(offset))))"
        return s
    }

    /// The statement selecting the ids of the experiments a query matches, newest first unless ordered otherwise.
    public static func experiments(_ query: ExperimentQuery, dialect: Dialect, limit: Int, offset: Int) -> SearchSQL {
        var s = SearchSQL(dialect: dialect)
        let stages = s.bindList(query.view.stages.map { .text($0) })
        var clauses = ["e.lifecycle_stage IN (\(stages))"]
        for condition in query.filter.conditions { clauses.append(s.experimentCondition(condition)) }
        var order: [String] = []
        for clause in query.orderBy {
            let direction = clause.ascending ? "ASC" : "DESC"
            if clause.key.entity == .tag {
                let value = "(SELECT t.value FROM experiment_tags t WHERE t.experiment_id = e.experiment_id AND t.key = \(s.bind(.text(clause.key.key))))"
                let again = "(SELECT t.value FROM experiment_tags t WHERE t.experiment_id = e.experiment_id AND t.key = \(s.bind(.text(clause.key.key))))"
                order += ["CASE WHEN \(value) IS NULL THEN 1 ELSE 0 END", "\(dialect.binaryText(again)) \(direction)"]
            } else {
                let column = Self.experimentColumn(clause.key.key)
                order.append(clause.key.key == "name" ? "\(dialect.binaryText(column)) \(direction)" : "\(column) \(direction)")
            }
        }
        order += ["e.creation_time DESC", "e.experiment_id DESC"]
        s.sql = "SELECT e.experiment_id FROM experiments e WHERE \(clauses.joined(separator: " AND ")) ORDER BY \(order.joined(separator: ", "))"
        s.sql += " LIMIT \(s.bind(.integer(Int64(limit)))) OFFSET \(s.bind(.integer(Int64(offset))))"
        return s
    }

    // MARK: - Conditions

    private static func sqlOperator(_ comparator: SearchComparator) -> String {
        comparator == .notEqual ? "<>" : comparator.rawValue
    }

    /// `column <comparator> value` for a text or number column.
    private mutating func compare(_ column: String, _ condition: SearchCondition, real: Bool = false) -> String {
        switch (condition.comparator, condition.value) {
        case (.like, .string(let pattern)):
            return dialect.like(column, bind(.text(pattern)), true)
        case (.ilike, .string(let pattern)):
            return dialect.like(column, bind(.text(pattern)), false)
        case (.in, .list(let values)):
            return values.isEmpty ? "1 = 0" : "\(column) IN (\(bindList(values.map { .text($0) })))"
        case (.notIn, .list(let values)):
            return values.isEmpty ? "1 = 1" : "\(column) NOT IN (\(bindList(values.map { .text($0) })))"
        case (let comparator, .string(let value)):
            return "\(column) \(Self.sqlOperator(comparator)) \(bind(.text(value)))"
        case (let comparator, .number(let value)):
            let argument: Argument = !real && value == value.rounded() && abs(value) < 9e18 ? .integer(Int64(value)) : .real(value)
            return "\(column) \(Self.sqlOperator(comparator)) \(bind(argument))"
        default:
            return "1 = 0"
        }
    }

    private mutating func runCondition(_ condition: SearchCondition) -> String {
        let key = condition.key
        switch key.entity {
        case .metric:
            let keyArgument = bind(.text(key.key))
            let test = compare("m.value", condition, real: true)
            return "EXISTS (SELECT 1 FROM latest_metrics m WHERE m.run_uuid = r.run_uuid AND m.key = \(keyArgument) AND \(dialect.metricIsNumber("m")) AND \(test))"
        case .param, .tag:
            let table = key.entity == .param ? "params" : "tags"
            let keyArgument = bind(.text(key.key))
            switch condition.comparator {
            case .isNull:
                return "NOT EXISTS (SELECT 1 FROM \(table) p WHERE p.run_uuid = r.run_uuid AND p.key = \(keyArgument))"
            case .isNotNull:
                return "EXISTS (SELECT 1 FROM \(table) p WHERE p.run_uuid = r.run_uuid AND p.key = \(keyArgument))"
            default:
                return "EXISTS (SELECT 1 FROM \(table) p WHERE p.run_uuid = r.run_uuid AND p.key = \(keyArgument) AND \(compare("p.value", condition)))"
            }
        case .attribute:
            return compare(Self.runColumn(key.key), condition)
        case .dataset:
            return "EXISTS (SELECT 1 FROM inputs i WHERE i.run_uuid = r.run_uuid AND \(compare("i.\(key.key)", condition)))"
        }
    }

    private mutating func experimentCondition(_ condition: SearchCondition) -> String {
        let key = condition.key
        if key.entity == .tag {
            let keyArgument = bind(.text(key.key))
            switch condition.comparator {
            case .isNull:
                return "NOT EXISTS (SELECT 1 FROM experiment_tags t WHERE t.experiment_id = e.experiment_id AND t.key = \(keyArgument))"
            case .isNotNull:
                return "EXISTS (SELECT 1 FROM experiment_tags t WHERE t.experiment_id = e.experiment_id AND t.key = \(keyArgument))"
            default:
                return "EXISTS (SELECT 1 FROM experiment_tags t WHERE t.experiment_id = e.experiment_id AND t.key = \(keyArgument) AND \(compare("t.value", condition)))"
            }
        }
        return compare(Self.experimentColumn(key.key), condition)
    }

    // MARK: - Ordering

    private mutating func runOrder(_ clause: SearchOrder) -> [String] {
        let direction = clause.ascending ? "ASC" : "DESC"
        let key = clause.key
        switch key.entity {
        case .metric:
            // Missing metrics last, NaN after numbers, whatever the direction.
            let rank = "COALESCE((SELECT CASE WHEN \(dialect.metricIsNumber("m")) THEN 0 ELSE 1 END FROM latest_metrics m WHERE m.run_uuid = r.run_uuid AND m.key = \(bind(.text(key.key)))), 2)"
            let value = "(SELECT m.value FROM latest_metrics m WHERE m.run_uuid = r.run_uuid AND m.key = \(bind(.text(key.key))) AND \(dialect.metricIsNumber("m")))"
            return [rank, "\(value) \(direction)"]
        case .param, .tag:
            let table = key.entity == .param ? "params" : "tags"
            let missing = "(SELECT p.value FROM \(table) p WHERE p.run_uuid = r.run_uuid AND p.key = \(bind(.text(key.key))))"
            let value = "(SELECT p.value FROM \(table) p WHERE p.run_uuid = r.run_uuid AND p.key = \(bind(.text(key.key))))"
            return ["CASE WHEN \(missing) IS NULL THEN 1 ELSE 0 END", "\(dialect.binaryText(value)) \(direction)"]
        case .attribute:
            let column = Self.runColumn(key.key)
            let numeric = SearchKey.runNumberAttributes.contains(key.key)
            return ["CASE WHEN \(column) IS NULL THEN 1 ELSE 0 END", "\(numeric ? column : dialect.binaryText(column)) \(direction)"]
        case .dataset:
            return []
        }
    }

    private static func runColumn(_ attribute: String) -> String {
        switch attribute {
        case "run_id": "r.run_uuid"
        case "run_name": "r.name"
        default: "r.\(attribute)"
        }
    }

    private static func experimentColumn(_ attribute: String) -> String {
        attribute == "experiment_id" ? "CAST(e.experiment_id AS TEXT)" : "e.\(attribute)"
    }
}

/// A run search: which experiments, which lifecycle stages, a filter, an ordering, and a page.
public struct RunQuery: Sendable {
    /// The experiments searched.
    public var experimentIDs: [String]
    /// The conditions runs must meet.
    public var filter: SearchFilter
    /// The ordering, before the implicit newest-first and run-id tie-breakers.
    public var orderBy: [SearchOrder]
    /// Active runs, deleted ones, or both.
    public var view: LifecycleView
    /// At most this many runs per page (1...50,000).
    public var maxResults: Int
    /// Where the page starts (from ``PageToken``).
    public var offset: Int

    public init(
        experimentIDs: [String], filter: SearchFilter = SearchFilter(), orderBy: [SearchOrder] = [],
        view: LifecycleView = .activeOnly, maxResults: Int = 1000, offset: Int = 0
    ) {
        self.experimentIDs = experimentIDs
        self.filter = filter
        self.orderBy = orderBy
        self.view = view
        self.maxResults = maxResults
        self.offset = offset
    }
}

/// An experiment search.
public struct ExperimentQuery: Sendable {
    /// The conditions experiments must meet.
    public var filter: SearchFilter
    /// The ordering, before the implicit newest-first tie-breakers.
    public var orderBy: [SearchOrder]
    /// Active experiments, deleted ones, or both.
    public var view: LifecycleView
    /// At most this many experiments per page.
    public var maxResults: Int
    /// Where the page starts.
    public var offset: Int

    public init(
        filter: SearchFilter = SearchFilter(), orderBy: [SearchOrder] = [], view: LifecycleView = .activeOnly,
        maxResults: Int = 1000, offset: Int = 0
    ) {
        self.filter = filter
        self.orderBy = orderBy
        self.view = view
        self.maxResults = maxResults
        self.offset = offset
    }
}

/// One page of search results and the token of the next page (nil on the last).
public struct SearchPage<Item: Sendable>: Sendable {
    /// This page's items.
    public var items: [Item]
    /// The token of the next page; nil on the last one.
    public var nextPageToken: String?

    /// A page as a server answered it.
    public init(items: [Item], nextPageToken: String?) {
        self.items = items
        self.nextPageToken = nextPageToken
    }

    /// A page from `limit + 1` fetched items: the extra one only says that more follow.
    public init(fetched: [Item], limit: Int, offset: Int) {
        items = Array(fetched.prefix(limit))
        nextPageToken = fetched.count > limit ? PageToken.encode(offset: offset + limit) : nil
    }
}
