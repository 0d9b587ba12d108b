import Foundation
import Testing

@testable import Assay

/// The engine's store of evaluated rows: in memory while they are small in total, then in a
/// temporary file, and read back in order and unchanged either way.
@Suite struct RowStoreTests {
    static func row(_ n: Int) -> StoredRow {
        var row = StoredRow(
            values: [.string("question \(n) " + String(repeating: "é", count: n % 7)), .int(n), .list([.double(0.5), .null])],
            prediction: .string("answer \(n)"), error: n % 5 == 0 ? "failed \(n)" : nil,
            cells: [RowScore(Double(n)), RowScore(nil, justification: "why \(n)")])
        row.sample = n % 3
        row.cost = n % 2 == 0 ? Double(n) / 1000 : nil
        row.usage = n % 4 == 0 ? TokenUsage(promptTokens: n, completionTokens: 2 * n) : nil
        return row
    }

    static func readBack(_ store: RowStore) throws -> [StoredRow] {
        var rows: [StoredRow] = []
        try store.forEach {
            rows.append($0)
            return true
        }
        return rows
    }

    static func same(_ a: StoredRow, _ b: StoredRow) -> Bool {
        a.values == b.values && a.prediction == b.prediction && a.error == b.error && a.cells == b.cells && a.sample == b.sample
            && a.cost == b.cost && a.usage == b.usage
    }

    @Test func rowsWithinTheBudgetStayInMemory() throws {
        let store = RowStore()
        for n in 0..<20_000 { try store.append(Self.row(n)) }
        try store.seal()
        #expect(!store.isSpilling, "20,000 short rows are well under the budget")
        let rows = try Self.readBack(store)
        #expect(rows.count == 20_000 && zip(rows, 0...).allSatisfy { Self.same($0, Self.row($1)) })
    }

    @Test func rowsPastTheBudgetGoToAFileAndComeBackInOrder() throws {
        let store = RowStore(memoryBudget: 50_000)
        for n in 0..<3_000 { try store.append(Self.row(n)) }
        try store.seal()
        #expect(store.isSpilling)
        let rows = try Self.readBack(store)
        #expect(rows.count == 3_000)
        #expect(zip(rows, 0...).allSatisfy { Self.same($0, Self.row($1)) }, "every row back unchanged and in order")
        // Stopping early stops reading.
        var seen = 0
        try store.forEach { _ in
            seen += 1
            return seen < 10
        }
        #expect(seen == 10)
    }
}
