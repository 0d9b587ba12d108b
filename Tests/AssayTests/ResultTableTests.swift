import Foundation
import Testing

@testable import Assay

/// A result table's JSON is encoded in batches on several cores; the text must read as the rows in
/// order, whatever the number of rows against the batch size.
@Suite struct ResultTableTests {
    @Test(arguments: [0, 1, ResultTable.batchRows - 1, ResultTable.batchRows, ResultTable.batchRows + 1, 5 * ResultTable.batchRows + 7])
    func rowsComeOutWholeAndInOrder(count: Int) throws {
        let rows: [[DataValue]] = (0..<count).map { i in
            [.int(i), .string("answer \(i) with \"quotes\" and a / slash"), i % 3 == 0 ? .null : .double(Double(i) / 7)]
        }
        let table = ResultTable(columns: ["row", "text", "score"], rows: rows)
        let text = try table.jsonString()
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(parsed["columns"] as? [String] == ["row", "text", "score"])
        let data = try #require(parsed["data"] as? [[Any]])
        #expect(data.count == count)
        for (i, row) in data.enumerated() {
            #expect((row[0] as? NSNumber)?.intValue == i)
            #expect(row[1] as? String == "answer \(i) with \"quotes\" and a / slash")
        }
        // The batches join exactly as one writer would have written the rows.
        var writer = JSONWriter(dialect: .mlflowTable)
        for (i, row) in rows.enumerated() {
            if i > 0 { writer.append(raw: ",") }
            table.writeRow(row, to: &writer)
        }
        #expect(text.hasSuffix(",\"data\":[" + writer.output + "]}"))
    }
}
