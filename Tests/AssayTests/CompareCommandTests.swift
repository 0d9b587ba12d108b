import AssayTesting
import Foundation
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// `assay compare`, `assay gate` and the gate options of `assay evaluate`, run as a user would.
@Suite struct CompareCommandTests {
    /// Two runs over the same 40 questions: the baseline right on half of them, the candidate on all.
    struct Runs {
        let folder: TemporaryFolder
        let database: String
        let baseline: String
        let candidate: String
    }

    static func recordTwoRuns() async throws -> Runs {
        let folder = try TemporaryFolder()
        let database = folder.path("assay.db")
        func dataset(_ name: String, right: (Int) -> Bool) throws -> String {
            let lines = (0..<40).map { i -> String in
                let target = "answer number \(i) is \(i * 7)"
                let prediction = right(i) ? target : "I think it is \(i)"
                return #"{"inputs": "question \#(i)", "ground_truth": "\#(target)", "predictions": "\#(prediction)"}"#
            }
            let path = folder.path(name)
            try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        func record(_ path: String, _ name: String) async throws -> String {
            let result = try await CommandLineTests.runDetached([
                "evaluate", path, "--targets", "ground_truth", "--predictions", "predictions", "--model-type", "question-answering",
                "--metrics", "rouge1", "--run-name", name, "--tracking-uri", database,
            ])
            #expect(result.status == 0, "\(result.stderr)")
            return try #require(result.stdout.firstMatch(of: /Recorded run ([0-9a-f]{32})/)).1.description
        }
        let baseline = try await record(try dataset("baseline.jsonl") { $0 % 2 == 0 }, "baseline")
        let candidate = try await record(try dataset("candidate.jsonl") { _ in true }, "candidate")
        return Runs(folder: folder, database: database, baseline: baseline, candidate: candidate)
    }

    @Test func compareReportsABetterRunWithItsStatistics() async throws {
        let runs = try await Self.recordTwoRuns()
        let json = runs.folder.path("comparison.json")
        let result = try await CommandLineTests.runDetached([
            // Runs by id prefix and by name.
            "compare", String(runs.baseline.prefix(8)), "candidate", "--tracking-uri", runs.database, "--output-json", json,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("40 rows paired"))
        #expect(result.stdout.contains("better (higher is better)"))
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
        let comparison = try #require((document?["comparisons"] as? [[String: Any]])?.first)
        let metrics = try #require(comparison["metrics"] as? [[String: Any]])
        let exact = try #require(metrics.first { $0["metric"] as? String == "exact_match/v1" })
        #expect(exact["test"] as? String == "exact McNemar")
        #expect(exact["verdict"] as? String == "better")
        #expect(exact["difference"] as? Double == 0.5)
        // 20 rows right only in the candidate, none only in the baseline: p = 2 · 2⁻²⁰.
        #expect(abs((exact["p_value"] as? Double ?? 1) - 2 * pow(0.5, 20)) < 1e-15)
        let rouge = try #require(metrics.first { $0["metric"] as? String == "rouge1/v1" })
        #expect(rouge["test"] as? String == "sign-flip permutation")
        #expect(rouge["verdict"] as? String == "better")
        #expect((rouge["interval"] as? [Double])?.count == 2)
    }

    @Test func gatePassesFailsAndWritesReports() async throws {
        let runs = try await Self.recordTwoRuns()
        let junit = runs.folder.path("gate.xml")
        let markdown = runs.folder.path("gate.md")
        let passing = try await CommandLineTests.runDetached([
            "gate", runs.candidate, "--baseline", runs.baseline, "--require", "exact_match/v1 >= 0.9", "--no-regression", "rouge1/v1",
            "--junit", junit, "--markdown", markdown, "--tracking-uri", runs.database,
        ])
        #expect(passing.status == 0, "\(passing.stdout)\(passing.stderr)")
        #expect(passing.stdout.contains("Gate passed."))
        #expect(try Self.parseJUnit(junit) == (cases: 2, failures: 0, failureMessages: []))
        let summary = try String(contentsOfFile: markdown, encoding: .utf8)
        #expect(summary.contains("### Assay gate passed"))
        #expect(summary.contains("| exact_match/v1 >= 0.9 | ✅ pass |"))
        #expect(summary.contains("| exact_match/v1 | 0.5000 | 1 | +0.5000 |"))

        // The baseline checked against the candidate: it regressed, significantly.
        let failing = try await CommandLineTests.runDetached([
            "gate", runs.baseline, "--baseline", runs.candidate, "--require", "rouge1/v1/mean > 0", "--junit", junit,
            "--tracking-uri", runs.database,
        ])
        #expect(failing.status == 1, "\(failing.stdout)\(failing.stderr)")
        #expect(failing.stdout.contains("FAIL  no regression of exact_match/v1"))
        let parsed = try Self.parseJUnit(junit)
        #expect(parsed.failures >= 2 && parsed.cases > parsed.failures)
        #expect(parsed.failureMessages.contains { $0.contains("exact_match/v1 1 → 0.5000") && $0.contains("worse") })

        // Bad input is exit 2, with the reason.
        let unknown = try await CommandLineTests.runDetached([
            "gate", runs.candidate, "--require", "nonesuch/v1 >= 1", "--tracking-uri", runs.database,
        ])
        #expect(unknown.status == 2 && unknown.stderr.contains("has no metric nonesuch/v1"))
        let malformed = try await CommandLineTests.runDetached([
            "gate", runs.candidate, "--require", "exact_match/v1 about 1", "--tracking-uri", runs.database,
        ])
        #expect(malformed.status == 2 && malformed.stderr.contains("no comparison"))
        let noBaseline = try await CommandLineTests.runDetached([
            "gate", runs.candidate, "--no-regression", "rouge1/v1", "--tracking-uri", runs.database,
        ])
        #expect(noBaseline.status == 2 && noBaseline.stderr.contains("--baseline"))
    }

    @Test func evaluateFailsUnderAThresholdAfterRecordingTheRun() async throws {
        let runs = try await Self.recordTwoRuns()
        let result = try await CommandLineTests.runDetached([
            "evaluate", runs.folder.path("baseline.jsonl"), "--targets", "ground_truth", "--predictions", "predictions",
            "--model-type", "question-answering", "--metrics", "rouge1", "--tracking-uri", runs.database,
            "--fail-under", "exact_match/v1=0.9", "--fail-on-regression", runs.candidate, "--markdown", runs.folder.path("e.md"),
        ])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stdout.contains("Recorded run"))
        #expect(result.stdout.contains("FAIL  exact_match/v1 >= 0.9: exact_match/v1 is 0.5000"))
        #expect(result.stdout.contains("FAIL  no regression of exact_match/v1"))
        #expect(try String(contentsOfFile: runs.folder.path("e.md"), encoding: .utf8).contains("failed ❌"))
        let fine = try await CommandLineTests.runDetached([
            "evaluate", runs.folder.path("candidate.jsonl"), "--targets", "ground_truth", "--predictions", "predictions",
            "--no-tracking", "--fail-under", "exact_match/v1=0.9", "--model-type", "question-answering",
        ])
        #expect(fine.status == 0, "\(fine.stdout)\(fine.stderr)")
        #expect(fine.stdout.contains("Gate passed."))
    }

    /// A pairwise judge served by a loopback stand-in for the provider that always prefers response A:
    /// every row ties once both orders are asked, the position bias is 100%, and a second run is
    /// answered from the response cache.
    @Test func pairwiseJudgeOverHTTPIsCachedAndReportsPositionBias() async throws {
        let runs = try await Self.recordTwoRuns()
        let server = try await FakeChatServer.start { _ in .chatCompletion(#"{"preference": "A", "justification": "first"}"#) }
        let json = runs.folder.path("pairwise.json")
        let arguments = [
            "compare", runs.baseline, runs.candidate, "--tracking-uri", runs.database, "--pairwise-judge", "pairwise_preference",
            "--judge", "openai:/judge-model", "--judge-base-url", server.baseURL, "--cache-dir", runs.folder.path("cache"),
            "--output-json", json, "--metric", "exact_match/v1",
        ]
        let first = try await CommandLineTests.runDetached(arguments)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(first.stdout.contains("candidate wins 0, ties 40, loses 0 (40 rows)"), "\(first.stdout)")
        #expect(first.stdout.contains("position bias: the same position won both times in 40 of 40 rows (100%)"))
        // 40 rows in two orders, but on the 20 rows where both runs answered alike the two orders are
        // the same request, which the cache answers the second time.
        #expect(server.counters.requests == 60)
        let second = try await CommandLineTests.runDetached(arguments)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(server.counters.requests == 60, "the second run is answered from the cache")
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
        let pairwise = try #require((document?["pairwise"] as? [[String: Any]])?.first)
        #expect(pairwise["position_bias"] as? Double == 1 && pairwise["win_rate"] as? Double == 0.5)
        await server.stop()

        let unknown = try await CommandLineTests.runDetached([
            "compare", runs.baseline, runs.candidate, "--tracking-uri", runs.database, "--pairwise-judge", "best_of",
        ])
        #expect(unknown.status == 2 && unknown.stderr.contains("pairwise_preference"))
    }

    /// The example CI workflow uses only options `assay evaluate` has.
    @Test func theExampleWorkflowUsesRealOptions() async throws {
        let workflow = try String(
            contentsOf: CommandLineTests.packageRoot.appendingPathComponent("examples/github-actions/assay-gate.yml"), encoding: .utf8)
        let help = try await CommandLineTests.runDetached(["evaluate", "--help"]).stdout
        // Continued lines joined, then every option of every `assay evaluate` line.
        let lines = workflow.replacingOccurrences(of: "\\\n", with: " ").split(separator: "\n").filter { $0.contains("assay evaluate") }
        let flags = Set(lines.flatMap { line in line.matches(of: /--[a-z][a-z-]+/).map { String($0.output) } })
        #expect(flags.count > 8)
        for flag in flags { #expect(help.contains(flag), "assay evaluate has no \(flag)") }
    }

    /// The test cases, failures and failure messages of a JUnit file, which must be well-formed XML.
    static func parseJUnit(_ path: String) throws -> (cases: Int, failures: Int, failureMessages: [String]) {
        final class Reader: NSObject, XMLParserDelegate {
            var cases = 0
            var messages: [String] = []
            var declaredFailures: Int?
            func parser(
                _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]
            ) {
                if name == "testcase" { cases += 1 }
                if name == "failure" { messages.append(attributes["message"] ?? "") }
                if name == "testsuite" { declaredFailures = Int(attributes["failures"] ?? "") }
            }
        }
        let parser = XMLParser(data: try Data(contentsOf: URL(fileURLWithPath: path)))
        let reader = Reader()
        parser.delegate = reader
        #expect(parser.parse(), "\(path) is not well-formed: \(String(describing: parser.parserError))")
        #expect(reader.declaredFailures == reader.messages.count)
        return (reader.cases, reader.messages.count, reader.messages)
    }
}
