import Assay
import Foundation
import Testing

@Suite struct DatasetTests {
    @Test func csvHandlesQuotesNewlinesBOMAndLists() throws {
        let folder = try TemporaryFolder()
        let text =
            "\u{FEFF}question,answer,docs\r\n"
            + "\"Hello, world\",\"She said \"\"hi\"\"\",\"[\"\"a\"\",\"\"b\"\"]\"\r\n"
            + "\"two\nlines\",,\"[1,2]\"\r\n"
            + "\n"
            + "plain,text,[not json\n"
        let rows = try Dataset(contentsOf: folder.file("data.csv", text)).rows()
        #expect(rows.count == 3)
        #expect(rows[0].columns.names == ["question", "answer", "docs"])
        #expect(rows[0]["question"] == "Hello, world")
        #expect(rows[0]["answer"] == "She said \"hi\"")
        #expect(rows[0]["docs"] == ["a", "b"])
        #expect(rows[1]["question"] == "two\nlines")
        #expect(rows[1]["answer"] == .null)
        #expect(rows[1]["docs"] == [1, 2])
        #expect(rows[2]["docs"] == "[not json")
        #expect(rows[2].line == 6)
    }

    @Test func raggedCSVRowNamesItsLine() async throws {
        let folder = try TemporaryFolder()
        let path = try folder.file("ragged.csv", "a,b\n1,2\n3\n")
        let message = await errorMessage { _ = try Dataset(contentsOf: path).rows() }
        #expect(message == "\(path):3: this row has 1 fields but the header has 2")
    }

    @Test func invalidUTF8IsReportedWithLine() async throws {
        let folder = try TemporaryFolder()
        let path = try folder.file("bad.csv", bytes: Array("a,b\nok,fine\nbad,".utf8) + [0xFF, 0xFE] + [0x0A])
        let message = await errorMessage { _ = try Dataset(contentsOf: path).rows() }
        #expect(message == "\(path):3: field 2 is not valid UTF-8")
        let jsonl = try folder.file("bad.jsonl", bytes: Array("{\"a\": \"".utf8) + [0xC3, 0x28] + Array("\"}\n".utf8))
        let jsonMessage = await errorMessage { _ = try Dataset(contentsOf: jsonl).rows() }
        #expect(jsonMessage?.hasPrefix("\(jsonl):1:") == true)
        #expect(jsonMessage?.contains("invalid UTF-8") == true)
    }

    @Test func jsonLinesErrorNamesLineAndColumn() async throws {
        let folder = try TemporaryFolder()
        let path = try folder.file("data.jsonl", "{\"a\": 1}\n\n{\"a\": 2,}\n")
        let message = await errorMessage { _ = try Dataset(contentsOf: path).rows() }
        #expect(message == "\(path):3:9: invalid JSON: expected a quoted key")
    }

    @Test func numbersPastDoublesRangeAreAnErrorNotANull() async throws {
        let folder = try TemporaryFolder()
        let huge = try folder.file("huge.jsonl", "{\"a\": 1}\n{\"a\": 1e999}\n")
        #expect(
            await errorMessage { _ = try Dataset(contentsOf: huge).rows() }
                == "\(huge):2:7: invalid JSON: the number 1e999 is out of range (a double holds up to about 1.8e308)")
        let digits = String(repeating: "9", count: 5000)
        let long = try folder.file("long.json", "[{\"a\": \(digits)}]")
        let message = await errorMessage { _ = try Dataset(contentsOf: long).rows() }
        #expect(message?.contains("the number 99999999999999999999…(5000 characters) is out of range") == true, "\(message ?? "")")
        // Large but representable numbers stay numbers: an integer past Int64 becomes a double.
        let big = try Dataset(contentsOf: folder.file("big.jsonl", "{\"a\": 123456789012345678901234567890, \"b\": -1.7e308}\n")).rows()
        #expect(big[0]["a"] == .double(1.2345678901234568e29) && big[0]["b"] == .double(-1.7e308))
    }

    @Test func jsonLinesKeepsTypesAndGrowsColumns() throws {
        let folder = try TemporaryFolder()
        let path = try folder.file(
            "data.jsonl",
            """
            {"q": "a", "n": 1, "x": 1.5, "ok": true, "none": null, "ids": ["d1", 2]}
            {"q": "b", "extra": "late"}
            """)
        let rows = try Dataset(contentsOf: path).rows()
        #expect(rows[0]["n"] == .int(1))
        #expect(rows[0]["x"] == .double(1.5))
        #expect(rows[0]["ok"] == .bool(true))
        #expect(rows[0]["none"] == .null)
        #expect(rows[0]["ids"] == ["d1", 2])
        #expect(rows[1]["n"] == .null)
        #expect(rows[1]["extra"] == "late")
        #expect(rows[1].columns.names == ["q", "n", "x", "ok", "none", "ids", "extra"])
    }

    @Test func jsonArrayOfObjects() async throws {
        let folder = try TemporaryFolder()
        let rows = try Dataset(contentsOf: folder.file("data.json", "[{\"q\": \"a\"}, {\"q\": \"b\"}]")).rows()
        #expect(rows.map { $0["q"] } == ["a", "b"])
        let broken = try folder.file("broken.json", "[{\"q\": \"a\"},\n {\"q\" \"b\"}]")
        let message = await errorMessage { _ = try Dataset(contentsOf: broken).rows() }
        #expect(message == "\(broken):2:7: invalid JSON: expected ':' but found '\"'")
    }

    @Test func missingFileAndUnknownFormat() async throws {
        let folder = try TemporaryFolder()
        #expect(
            await errorMessage { _ = try Dataset(contentsOf: folder.path("nope.jsonl")) } == "\(folder.path("nope.jsonl")): no such file")
        let text = try folder.file("data.txt", "x")
        #expect(await errorMessage { _ = try Dataset(contentsOf: text) }?.contains("cannot tell the format") == true)
        #expect(try Dataset(contentsOf: text, format: .jsonl).name == "data.txt")
    }

    @Test func emptyDatasetIsAnError() async throws {
        let folder = try TemporaryFolder()
        let path = try folder.file("empty.jsonl", "\n\n")
        let message = await errorMessage {
            _ = try await evaluate(try Dataset(contentsOf: path), predictions: "p", extraMetrics: [.tokenCount])
        }
        #expect(message == "\(path): the dataset has no rows")
        let csv = try folder.file("empty.csv", "")
        #expect(await errorMessage { _ = try Dataset(contentsOf: csv).rows() } == "\(csv): the CSV file is empty; it needs a header row")
    }
}
