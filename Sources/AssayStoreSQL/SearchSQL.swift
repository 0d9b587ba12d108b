import Assay

/// A search turned into one SQL statement over the tracking schema (`runs`, `latest_metrics`,
/// `params`, `tags`, `inputs`, `experiments`, `experiment_tags`), with every value passed as an
/// argument: the SQL text holds only placeholders, column names and operators.
///
/// The statement selects ids (`run_uuid` or `experiment_id`), in order, one page plus one row, so the
/// caller knows whether another page follows.
enum SearchSQL {
    /// The statement selecting the ids of the runs a query matches, in its order, `limit` rows from `offset`.
    static func runs(_ query: RunQuery, dialect: SQLDialect, limit: Int, offset: Int) -> SQL {
        let experiments = query.experimentIDs.compactMap { Int64($0) }
        var clauses: [SQL] = ["\("r.experiment_id", in: experiments)", "\("r.lifecycle_stage", in: query.view.stages)"]
        for condition in query.filter.conditions { clauses.append(runCondition(condition, dialect)) }
        var order: [SQL] = []
        for clause in query.orderBy { order += runOrder(clause, dialect) }
        if !query.orderBy.contains(where: { $0.key.entity == .attribute && $0.key.key == "start_time" }) {
            order.append("r.start_time DESC")
        }
        order.append("r.run_uuid ASC")
        return
            """
            SELECT r.run_uuid FROM runs r WHERE \(SQL.joined(clauses, separator: " AND "))
            ORDER BY \(SQL.joined(order, separator: ", ")) LIMIT \(Int64(limit)) OFFSET \(Int64(offset))
            """
    }

    /// The statement selecting the ids of the experiments a query matches, newest first unless ordered otherwise.
    static func experiments(_ query: ExperimentQuery, dialect: SQLDialect, limit: Int, offset: Int) -> SQL {
        var clauses: [SQL] = ["\("e.lifecycle_stage", in: query.view.stages)"]
        for condition in query.filter.conditions { clauses.append(experimentCondition(condition, dialect)) }
        var order: [SQL] = []
        for clause in query.orderBy {
            let direction = clause.ascending ? "ASC" : "DESC"
            if clause.key.entity == .tag {
                let value: SQL =
                    "(SELECT t.value FROM experiment_tags t WHERE t.experiment_id = e.experiment_id AND t.key = \(clause.key.key))"
                order += ["CASE WHEN \(value) IS NULL THEN 1 ELSE 0 END", dialect.binaryText(value) + SQL(raw: " \(direction)")]
            } else {
                let column = SQL(raw: experimentColumn(clause.key.key))
                order.append((clause.key.key == "name" ? dialect.binaryText(column) : column) + SQL(raw: " \(direction)"))
            }
        }
        order += ["e.creation_time DESC", "e.experiment_id DESC"]
        return
            """
            SELECT e.experiment_id FROM experiments e WHERE \(SQL.joined(clauses, separator: " AND "))
            ORDER BY \(SQL.joined(order, separator: ", ")) LIMIT \(Int64(limit)) OFFSET \(Int64(offset))
            """
    }

    // MARK: - Conditions

    private static func sqlOperator(_ comparator: SearchComparator) -> String {
        comparator == .notEqual ? "<>" : comparator.rawValue
    }

    /// `column <comparator> value` for a text or number column.
    private static func compare(_ column: String, _ condition: SearchCondition, _ dialect: SQLDialect, real: Bool = false) -> SQL {
        switch (condition.comparator, condition.value) {
        case (.like, .string(let pattern)), (.ilike, .string(let pattern)):
            return dialect.like(SQL(raw: column), "\(pattern)", condition.comparator == .like)
        case (.in, .list(let values)):
            return "\(column, in: values)"
        case (.notIn, .list(let values)):
            return values.isEmpty ? "1 = 1" : "NOT (\(column, in: values))"
        case (let comparator, .string(let value)):
            return "\(raw: column) \(raw: sqlOperator(comparator)) \(value)"
        case (let comparator, .number(let value)):
            if !real && value == value.rounded() && abs(value) < 9e18 {
                return "\(raw: column) \(raw: sqlOperator(comparator)) \(Int64(value))"
            }
            return "\(raw: column) \(raw: sqlOperator(comparator)) \(value)"
        default:
            return "1 = 0"
        }
    }

    private static func runCondition(_ condition: SearchCondition, _ dialect: SQLDialect) -> SQL {
        let key = condition.key
        switch key.entity {
        case .metric:
            let test = compare("m.value", condition, dialect, real: true)
            return
                "EXISTS (SELECT 1 FROM latest_metrics m WHERE m.run_uuid = r.run_uuid AND m.key = \(key.key) AND m.is_nan = 0 AND \(test))"
        case .param, .tag:
            let table = key.entity == .param ? "params" : "tags"
            let owned: SQL = "SELECT 1 FROM \(raw: table) p WHERE p.run_uuid = r.run_uuid AND p.key = \(key.key)"
            switch condition.comparator {
            case .isNull: return "NOT EXISTS (\(owned))"
            case .isNotNull: return "EXISTS (\(owned))"
            default: return "EXISTS (\(owned) AND \(compare("p.value", condition, dialect)))"
            }
        case .attribute:
            return compare(runColumn(key.key), condition, dialect)
        case .dataset:
            return "EXISTS (SELECT 1 FROM inputs i WHERE i.run_uuid = r.run_uuid AND \(compare("i.\(key.key)", condition, dialect)))"
        case .metadata:
            // Runs have no request metadata; the parser never makes such a key for them.
            return "1 = 0"
        }
    }

    private static func experimentCondition(_ condition: SearchCondition, _ dialect: SQLDialect) -> SQL {
        let key = condition.key
        if key.entity == .tag {
            let owned: SQL = "SELECT 1 FROM experiment_tags t WHERE t.experiment_id = e.experiment_id AND t.key = \(key.key)"
            switch condition.comparator {
            case .isNull: return "NOT EXISTS (\(owned))"
            case .isNotNull: return "EXISTS (\(owned))"
            default: return "EXISTS (\(owned) AND \(compare("t.value", condition, dialect)))"
            }
        }
        return compare(experimentColumn(key.key), condition, dialect)
    }

    // MARK: - Ordering

    private static func runOrder(_ clause: SearchOrder, _ dialect: SQLDialect) -> [SQL] {
        let direction = clause.ascending ? "ASC" : "DESC"
        let key = clause.key
        switch key.entity {
        case .metric:
            // Missing metrics last, NaN after numbers, whatever the direction.
            let rank: SQL = "COALESCE((SELECT m.is_nan FROM latest_metrics m WHERE m.run_uuid = r.run_uuid AND m.key = \(key.key)), 2)"
            let value: SQL = "(SELECT m.value FROM latest_metrics m WHERE m.run_uuid = r.run_uuid AND m.key = \(key.key) AND m.is_nan = 0)"
            return [rank, value + SQL(raw: " \(direction)")]
        case .param, .tag:
            let table = key.entity == .param ? "params" : "tags"
            let value: SQL = "(SELECT p.value FROM \(raw: table) p WHERE p.run_uuid = r.run_uuid AND p.key = \(key.key))"
            return ["CASE WHEN \(value) IS NULL THEN 1 ELSE 0 END", dialect.binaryText(value) + SQL(raw: " \(direction)")]
        case .attribute:
            let column = runColumn(key.key)
            let numeric = SearchKey.runNumberAttributes.contains(key.key)
            let ordered = numeric ? SQL(raw: column) : dialect.binaryText(SQL(raw: column))
            return [SQL(raw: "CASE WHEN \(column) IS NULL THEN 1 ELSE 0 END"), ordered + SQL(raw: " \(direction)")]
        case .dataset, .metadata:
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
