import GRDB

/// SQL LIKE matching (`%` any run of characters, `_` exactly one) with the case rule MLflow's search
/// grammar needs: LIKE is case-sensitive, ILIKE is not. SQLite's built-in LIKE ignores ASCII case
/// and knows nothing of other scripts, so searches call this as `assay_like(pattern, value, caseSensitive)`.
enum LikePattern {
    static let sqlFunction = DatabaseFunction("assay_like", argumentCount: 3, pure: true) { values in
        guard let pattern = String.fromDatabaseValue(values[0]), let value = String.fromDatabaseValue(values[1]) else {
            return false
        }
        let caseSensitive = (Int.fromDatabaseValue(values[2]) ?? 1) != 0
        return caseSensitive ? matches(pattern, value) : matches(pattern.lowercased(), value.lowercased())
    }

    /// Whether `value` matches `pattern`; iterative, with one backtrack point per `%` (linear-ish, no recursion).
    static func matches(_ pattern: String, _ value: String) -> Bool {
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
}
