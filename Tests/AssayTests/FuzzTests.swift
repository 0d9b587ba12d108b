import Assay
import AssayTesting
import Foundation
import PropertyBased
import Testing

/// Random and mutated bytes into every dataset reader: each input must read as rows or fail with an
/// error that names the file, and never crash. A short fixed-seed run by default; `scripts/fuzz` runs
/// it for minutes with fresh seeds (see ``FuzzBudget``).
@Suite struct FuzzTests {
    /// Valid files to mutate, one per format, with the constructs each reader has to get right.
    static let corpus: [(format: Dataset.Format, bytes: [UInt8])] = [
        (.csv, Array("\u{FEFF}q,a,docs\r\n\"Hello, \"\"you\"\"\",\"two\nlines\",\"[\"\"d1\"\", 2]\"\r\n3,,[1e3]\n".utf8)),
        (
            .jsonl,
            Array(
                #"{"q": "a\u00e9\n", "n": -12.5e-3, "ok": true, "none": null, "ids": ["d1", {"x": [1, 2]}]}"#.utf8 + [0x0A]
                    + #"{"q": "b"}"#.utf8)
        ),
        (.json, Array(#"[{"q": "a", "n": 1}, {"q": "\ud83d\ude00", "n": [true, false, null]}]"#.utf8)),
    ]

    /// Pieces that tend to matter to parsers.
    static let tokens: [[UInt8]] = [
        [0x22], [0x2C], [0x0A], [0x0D], [0x7B], [0x7D], [0x5B], [0x5D], [0x5C], [0x3A], [0x00], [0xFF], [0xC3], [0xEF, 0xBB, 0xBF],
        Array("1e999".utf8), Array("-".utf8), Array("9999999999999999999999".utf8), Array("\\u0000".utf8), Array("\\ud800".utf8),
        Array("null".utf8), Array("[[[[[[[[".utf8), Array("\"\"".utf8),
    ]

    /// One input: pure random bytes, or a corpus file with a few random edits.
    static func input(_ rng: inout Xoshiro) -> (Dataset.Format, [UInt8]) {
        let (format, base) = corpus[Int.random(in: 0..<corpus.count, using: &rng)]
        if Bool.random(using: &rng) {
            return (format, Gen<UInt8>.value(in: 0...255).array(of: 0...300).run(using: &rng))
        }
        var bytes = base
        for _ in 0..<Int.random(in: 1...6, using: &rng) {
            let at = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<5, using: &rng) {
            case 0 where !bytes.isEmpty: bytes[at] = UInt8.random(in: 0...255, using: &rng)
            case 1: bytes.insert(contentsOf: tokens[Int.random(in: 0..<tokens.count, using: &rng)], at: at)
            case 2 where !bytes.isEmpty: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...8, using: &rng)))
            case 3 where !bytes.isEmpty: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + 16)], at: at)
            default: bytes.append(contentsOf: tokens[Int.random(in: 0..<tokens.count, using: &rng)])
            }
        }
        return (format, bytes)
    }

    /// Reads every row and value; the error's message when reading fails.
    static func readError(_ path: String, _ format: Dataset.Format) -> String? {
        do throws(AssayError) {
            let dataset = try Dataset(contentsOf: path, format: format)
            for row in try dataset.rows() { _ = row.columns.names.map { row[$0] } }
            return nil
        } catch {
            return error.message
        }
    }

    @Test func datasetReadersNeverCrashAndNameTheFile() async throws {
        let folder = try TemporaryFolder()
        var budget = FuzzBudget(name: "dataset-readers", inputs: 600)
        var unnamed: [String] = []
        while let seed = budget.nextBatch() {
            var rng = Xoshiro(seed: FuzzBudget.state(seed))
            for i in 0..<budget.batchSize {
                // Yields, so that suites running beside this one (the server fuzzing) are not starved.
                await Task.yield()
                let (format, bytes) = Self.input(&rng)
                let path = try folder.file("input-\(i).\(format.rawValue)", bytes: bytes)
                if let message = Self.readError(path, format), !message.contains(path), unnamed.count < 5 {
                    unnamed.append("\(message) (seed \(seed))")
                }
            }
        }
        budget.report()
        #expect(unnamed.isEmpty, "errors that do not name the file: \(unnamed)")
    }

    @Test func jsonValuesSurviveRandomText() async throws {
        var budget = FuzzBudget(name: "json-values", inputs: 2000, batchSize: 500)
        // Every code point but the surrogates (which are not scalars), the low ones more often.
        let scalar = Gen<UInt32>.value(in: 0...0x10FFFF).map { (n: UInt32) -> Unicode.Scalar in
            Unicode.Scalar(n % 7 == 0 ? n % 0x80 : n) ?? "\u{FFFD}"
        }
        let text = scalar.array(of: 0...60).map { (scalars: [Unicode.Scalar]) -> String in
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars)
            return String(view)
        }
        while let seed = budget.nextBatch() {
            var rng = Xoshiro(seed: FuzzBudget.state(seed))
            await Task.yield()
            for _ in 0..<budget.batchSize {
                // Random text, and random text wrapped as a JSON string: parsing and printing must agree.
                let candidate = text.run(using: &rng)
                _ = try? DataValue(json: candidate)
                let value = DataValue.string(candidate)
                #expect(try DataValue(json: value.description) == value, "round trip of \(candidate.debugDescription)")
            }
        }
        budget.report()
    }

    /// Random score tables, hostile numbers included (NaN, infinities, ±1e308, strings where numbers
    /// belong), compared: never a crash, p-values in 0...1, intervals ordered and finite, every row
    /// counted once, and the JSON printable.
    @Test func comparisonsOfHostileScoresHoldTheirInvariants() async throws {
        var budget = FuzzBudget(name: "comparisons", inputs: 120, batchSize: 30)
        let special: [DataValue] = [
            .double(.nan), .double(.infinity), .double(-.infinity), .double(1e308), .double(-1e308), .string("5"), .null, .int(Int.max),
        ]
        while let seed = budget.nextBatch() {
            var rng = Xoshiro(seed: FuzzBudget.state(seed))
            await Task.yield()
            for _ in 0..<budget.batchSize {
                let rows = Int.random(in: 0...40, using: &rng)
                func cell() -> DataValue {
                    switch Int.random(in: 0..<10, using: &rng) {
                    case 0: special[Int.random(in: 0..<special.count, using: &rng)]
                    case 1...4: .int(Int.random(in: 0...1, using: &rng))
                    default: .double(Double.random(in: -5...5, using: &rng))
                    }
                }
                func table() -> LoggedTable {
                    LoggedTable(
                        columns: ["inputs", "outputs", "error", "m/v1/score", "m/v1/justification"],
                        rows: (0..<rows).map { i in
                            [
                                .string("q\(Int.random(in: 0...max(0, rows / 2), using: &rng))"), .string("o\(i)"),
                                Int.random(in: 0..<8, using: &rng) == 0 ? .string("HTTP 500") : .null, cell(),
                                Bool.random(using: &rng) ? .string("why") : .null,
                            ]
                        })
                }
                var options = RunComparison.Options()
                options.resamples = 200
                options.seed = UInt64.random(in: 0...UInt64.max, using: &rng)
                let comparison = try await RunComparison.compare(
                    ComparedRun(id: "a", name: "a", table: table()), ComparedRun(id: "b", name: "b", table: table()), options: options)
                for m in comparison.metrics {
                    if let p = m.pValue { #expect((0...1).contains(p), "p \(p) (seed \(seed))") }
                    if let p = m.adjustedPValue { #expect((0...1).contains(p)) }
                    if let i = m.interval { #expect(i.lowerBound <= i.upperBound, "seed \(seed)") }
                    if comparison.paired {
                        #expect(m.baselineCount + m.leftOutErrors + m.leftOutInvalid + m.leftOutMissing == comparison.pairedRows)
                    }
                }
                #expect(!JSONWriterProbe.text(comparison).isEmpty)
            }
        }
        budget.report()
    }
}

/// The comparison's JSON, as `assay compare --output-json` writes it.
enum JSONWriterProbe {
    static func text(_ comparison: RunComparison) -> String {
        comparison.json.description
    }
}
