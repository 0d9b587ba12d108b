import Foundation

/// precision@k, recall@k and NDCG@k as MLflow computes them, quirks included: precision divides by
/// min(k, retrieved), NDCG cuts off at the number retrieved (not k) and expands duplicates, and two
/// empty lists give recall 1 and NDCG 1.
enum Retrieval {
    static func precision(retrieved: [String], relevant: Set<String>, k: Int) -> Double {
        let top = retrieved.prefix(k)
        guard !top.isEmpty else { return 0 }
        return Double(top.count { relevant.contains($0) }) / Double(top.count)
    }

    static func recall(retrieved: [String], relevant: Set<String>, k: Int) -> Double {
        let top = Set(retrieved.prefix(k))
        guard !relevant.isEmpty else { return top.isEmpty ? 1 : 0 }
        return Double(relevant.intersection(top).count) / Double(relevant.count)
    }

    static func ndcg(retrieved: [String], relevant: Set<String>, k: Int) -> Double {
        let top = Array(retrieved.prefix(k))
        if top.isEmpty && relevant.isEmpty { return 1 }
        if top.isEmpty || relevant.isEmpty { return 0 }
        // Duplicated retrieved ids count as distinct documents; a duplicated relevant id adds a relevant copy.
        var seen: [String: Int] = [:]
        var relevantCount = relevant.count
        var gains: [Double] = []
        for id in top {
            let copy = seen[id, default: 0]
            seen[id] = copy + 1
            let isRelevant = relevant.contains(id)
            if isRelevant && copy > 0 { relevantCount += 1 }
            gains.append(isRelevant ? 1 : 0)
        }
        var dcg = 0.0
        for (i, gain) in gains.enumerated() { dcg += gain / log2(Double(i + 2)) }
        var ideal = 0.0
        for i in 0..<min(top.count, relevantCount) { ideal += 1 / log2(Double(i + 2)) }
        return ideal > 0 ? dcg / ideal : 0
    }

    /// The document ids of a cell, which must be a list of strings or integers.
    static func ids(_ value: DataValue, role: String, row: DataRow, column: String) throws(AssayError) -> [String] {
        guard case .list(let elements) = value else {
            throw .invalidInput(
                "\(row.location), column '\(column)': retrieval metrics need a list of document ids as \(role), "
                    + "found \(value.kindName)" + (value.isNull ? "" : " (\(value.text.prefix(60)))"))
        }
        var ids: [String] = []
        ids.reserveCapacity(elements.count)
        for element in elements {
            switch element {
            case .string(let s): ids.append(s)
            case .int(let i): ids.append(String(i))
            default:
                throw .invalidInput(
                    "\(row.location), column '\(column)': document ids must be strings or integers, found \(element.kindName)")
            }
        }
        return ids
    }
}
