import Assay
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
        return caseSensitive ? SearchFilter.like(pattern, value) : SearchFilter.like(pattern.lowercased(), value.lowercased())
    }
}
