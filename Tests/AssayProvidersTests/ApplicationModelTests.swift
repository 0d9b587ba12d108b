import Assay
import AssayTesting
import Foundation
import NIOConcurrencyHelpers
import PropertyBased
import Testing

@testable import AssayProviders

/// Applications as the model under test: a RAG-like HTTP service and commands, started by the tests,
/// that answer, fail, hang and print garbage on purpose.
@Suite struct ApplicationModelTests {
    static func questions(_ count: Int) -> Dataset {
        Dataset(
            columns: ["inputs", "ground_truth"],
            rows: (0..<count).map { [.string("question \($0)"), .string("answer to question \($0)")] })
    }

    /// A retrieval service: `{"question": …, "top_k": N}` in, `{"data": {"answer", "documents"}, "usage"}` out.
    static func ragReply(_ request: FakeChatServer.Request) -> FakeChatServer.Reply {
        guard let json = request.json, let question = json["question"] as? String, let k = json["top_k"] as? Int else {
            return .json(["detail": "expected question and top_k"], status: 422)
        }
        let documents = (0..<k).map { ["id": "doc-\($0)", "text": "passage \($0) about \(question)"] }
        return .json([
            "data": ["answer": "answer to \(question)", "documents": documents],
            "usage": ["input_tokens": 12, "output_tokens": 4], "cost": 0.001,
        ])
    }

    static func ragSpec(_ server: FakeChatServer) throws -> EndpointSpec {
        var spec = try EndpointSpec(url: "http://127.0.0.1:\(server.port)/ask")
        spec.body = try BodyTemplate(json: #"{"question": "{inputs}", "top_k": 2}"#)
        spec.reply.output = try ReplyPath("$.data.answer")
        spec.reply.columns = [("context", try ReplyPath("$.data.documents[*].text")), ("doc_ids", try ReplyPath("data.documents[*].id"))]
        spec.reply.promptTokens = try ReplyPath("$.usage.input_tokens")
        spec.reply.completionTokens = try ReplyPath("$.usage.output_tokens")
        spec.reply.cost = try ReplyPath("$.cost")
        return spec
    }

    /// Timeouts are generous: the whole suite shares two cores, and a reply or a process start may wait.
    static func options(timeout: Duration = .seconds(30), concurrency: Int = 4) -> ProviderOptions {
        var options = ProviderOptions()
        options.timeout = timeout
        options.maxAttempts = 5
        options.concurrency = concurrency
        options.maxRetryPause = .milliseconds(200)
        options.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "RAG_TOKEN": "s3cret"]
        return options
    }

    /// A metric that reads the row's `context` column, as faithfulness and the judges do.
    static let contextSize = try! Metric.perRow(name: "context_size", greaterIsBetter: nil) { row in
        RowScore(Double(row.argument("context").listValue?.count ?? -1))
    }

    @Test func aRAGServiceIsEvaluatedThroughFaultsWithItsContextAndThenFromTheCache() async throws {
        let faults = FaultInjector(seed: 11, rate: 0.5, maxFaultsPerRequest: 2, slowDelay: .seconds(5))
        let server = try await FakeChatServer.start(behaviour: faults.behaviour(answering: Self.ragReply))
        let folder = try TemporaryFolder()
        let rows = 80
        var spec = try Self.ragSpec(server)
        spec.headers = ["Authorization": "Bearer ${RAG_TOKEN}"]
        let model = try EndpointModel(
            spec: spec, options: Self.options(timeout: .milliseconds(1500)), cache: try ResponseCache(directory: folder.path("cache")))
        var configuration = EvaluationConfiguration()
        configuration.concurrency = 4
        let result = try await evaluate(
            Self.questions(rows), model: model, targets: "ground_truth", extraMetrics: [.exactMatch, Self.contextSize],
            configuration: configuration)
        await model.shutdown()

        #expect(result.rowCount == rows)
        let errorColumn = try result.table.column("error") ?? []
        #expect(result.failedRows == 0, "\(errorColumn)")
        #expect(result.metrics["exact_match/v1"] == 1)
        #expect(result.metrics["context_size/mean"] == 2, "the metric read the service's documents as the row's context")
        let context = try #require(try result.table.column("context"))
        #expect(context[3] == .list(["passage 0 about question 3", "passage 1 about question 3"]))
        #expect(try result.table.column("doc_ids")?[0] == .list(["doc-0", "doc-1"]))
        #expect(result.usage.promptTokens == 12 * rows)
        #expect(abs(result.usage.cost - 0.001 * Double(rows)) < 1e-9)
        let injected = faults.injectedFaults
        #expect(injected.keys.count == FaultInjector.Fault.allCases.count, "every kind of fault occurred: \(injected)")
        #expect(server.counters.maxInFlight <= 4)
        #expect(model.activity.requests > rows, "faults were retried")

        // The secret went out in the header but is not in what the run records.
        #expect(!model.runFiles[0].contents.contains("s3cret"))
        #expect(model.runFiles[0].contents.contains("${RAG_TOKEN}"))
        let recorded = folder.path("spec.yaml")
        try model.runFiles[0].contents.write(toFile: recorded, atomically: true, encoding: .utf8)
        guard case .endpoint(let reloaded) = try ModelSpecFile.load(recorded) else {
            Issue.record("the recorded spec is not an endpoint spec")
            return
        }

        // Run again from the recorded spec: every answer comes from the cache and the server sees nothing.
        server.resetCounters()
        let again = try EndpointModel(spec: reloaded, options: Self.options(), cache: try ResponseCache(directory: folder.path("cache")))
        let cached = try await evaluate(
            Self.questions(rows), model: again, targets: "ground_truth", extraMetrics: [.exactMatch, Self.contextSize])
        await again.shutdown()
        #expect(server.counters.requests == 0)
        #expect(cached.usage.cachedAnswers == rows)
        #expect(try cached.table.column("context") == context)
        #expect(cached.metrics["context_size/mean"] == 2)
        await server.stop()
    }

    @Test func theJudgesReadTheContextTheApplicationRetrieved() async throws {
        // The dataset's own context says nothing; the service's documents are what faithfulness must see.
        let service = try await FakeChatServer.start(behaviour: Self.ragReply)
        let prompts = NIOLockedValueBox<[String]>([])
        let judgeServer = try await FakeChatServer.start { request in
            prompts.withLockedValue { $0.append(request.lastMessage) }
            let supported = request.lastMessage.contains("passage 0 about question")
            return .chatCompletion(#"{"score": \#(supported ? 5 : 1), "justification": "checked against the context"}"#)
        }
        var judgeOptions = Self.options()
        judgeOptions.baseURL = judgeServer.baseURL
        let judge = try ChatModel(spec: ModelSpec(model: try ModelURI("openai:/judge")), options: judgeOptions)
        let model = try EndpointModel(spec: try Self.ragSpec(service), options: Self.options())
        let data = Dataset(
            columns: ["inputs", "context"], rows: (0..<4).map { [.string("question \($0)"), "an unrelated stale passage"] })
        let result = try await evaluate(data, model: model, extraMetrics: [.judge(BuiltinJudges.faithfulness, model: judge)])
        await model.shutdown()
        await judge.shutdown()
        #expect(result.metrics["faithfulness/v1/mean"] == 5, "\(prompts.withLockedValue { $0 }.first ?? "")")
        #expect(prompts.withLockedValue { $0 }.allSatisfy { !$0.contains("stale passage") })
        #expect(try result.table.column("context")?[2] == ["passage 0 about question 2", "passage 1 about question 2"])
        await service.stop()
        await judgeServer.stop()
    }

    @Test func rowsTheServiceRejectsOrCannotAnswerAreRecordedAndTheRunGoesOn() async throws {
        let server = try await FakeChatServer.start { request in
            let question = (request.json?["question"] as? String) ?? ""
            switch question {
            case "question 1": return .json(["detail": "question too long"], status: 400)
            case "question 2": return .json(["error": "index unavailable"])
            case "question 3": return .respond(status: 200, headers: [], body: Array("<html>gateway</html>".utf8))
            case "question 4": return .json(["data": ["documents": []]])
            case "question 5": return .delayed(.seconds(60), Self.ragReply(request))
            default: return Self.ragReply(request)
            }
        }
        var options = Self.options(timeout: .seconds(3))
        options.maxAttempts = 2
        let model = try EndpointModel(spec: try Self.ragSpec(server), options: options)
        let result = try await evaluate(Self.questions(8), model: model, targets: "ground_truth", extraMetrics: [.exactMatch])
        await model.shutdown()
        let errors = try #require(try result.table.column("error")).map { $0.stringValue ?? "" }
        #expect(result.rowCount == 8)
        #expect(result.failedRows == 5)
        #expect(errors[0] == "" && errors[6] == "" && errors[7] == "")
        #expect(errors[1].contains("HTTP 400") && errors[1].contains("question too long"), "\(errors[1])")
        #expect(errors[2].contains("index unavailable"), "\(errors[2])")
        #expect(errors[3].contains("gave up after 2 attempts") && errors[3].contains("<html>gateway</html>"), "\(errors[3])")
        #expect(errors[4].contains("nothing at $.data.answer"), "\(errors[4])")
        #expect(errors[5].contains("timed out"), "\(errors[5])")
        #expect(result.metrics["exact_match/v1"] == 1, "the rows answered are scored")
        await server.stop()
    }

    @Test func refusedCredentialsStopTheRunAtTheFirstRow() async throws {
        let server = try await FakeChatServer.start { _ in .json(["detail": "bad token"], status: 401) }
        let model = try EndpointModel(spec: try Self.ragSpec(server), options: Self.options())
        var error: AssayError?
        do {
            _ = try await evaluate(Self.questions(20), model: model, targets: "ground_truth", extraMetrics: [.exactMatch])
        } catch let thrown {
            error = thrown
        }
        await model.shutdown()
        #expect(error?.kind == .invalidInput)
        #expect(error?.message.contains("HTTP 401") == true, "\(error?.message ?? "")")
        #expect(server.counters.requests < 20)
        await server.stop()
        // A header naming a variable that is not set fails before any row.
        var spec = try Self.ragSpec(server)
        spec.headers = ["X-Key": "${NOT_SET_ANYWHERE}"]
        #expect(throws: AssayError.self) { try EndpointModel(spec: spec, options: Self.options()) }
        // A value that would split the request is refused, whether written or from the environment.
        var options = Self.options()
        options.environment["INJECTED"] = "x\r\nX-Admin: yes"
        spec.headers = ["X-Key": "${INJECTED}"]
        #expect(throws: AssayError.self) { try EndpointModel(spec: spec, options: options) }
        spec.headers = ["X-Key\nX-Admin": "yes"]
        #expect(throws: AssayError.self) { try EndpointModel(spec: spec, options: options) }
    }

    @Test func theDefaultProtocolSendsTheRowAndReadsTextOrOutput() async throws {
        let bodies = NIOLockedValueBox<[[UInt8]]>([])
        let server = try await FakeChatServer.start { request in
            let json = request.json ?? [:]
            bodies.withLockedValue { $0.append(request.body) }
            let question = json["inputs"] as? String ?? ""
            if question.hasSuffix("0") { return .respond(status: 200, headers: [("Content-Type", "text/plain")], body: Array("plain \(question)\n".utf8)) }
            return .json(["output": "json \(question)", "context": ["c"]])
        }
        let model = try EndpointModel(spec: try EndpointSpec(url: "http://127.0.0.1:\(server.port)/"), options: Self.options())
        let result = try await evaluate(Self.questions(3), model: model, targets: "ground_truth", extraMetrics: [Self.contextSize])
        await model.shutdown()
        #expect(try result.table.column("outputs") == ["plain question 0", "json question 1", "json question 2"])
        #expect(try result.table.column("context") == [.null, ["c"], ["c"]])
        let sent = bodies.withLockedValue { $0 }.compactMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
        #expect(sent.count == 3)
        #expect(sent.allSatisfy { $0["ground_truth"] is String && $0["inputs"] is String }, "the row went as a JSON object")
        await server.stop()
    }

    @Test func aGETEndpointGetsTheRowInItsURLPercentEncoded() async throws {
        let paths = NIOLockedValueBox<[String]>([])
        let server = try await FakeChatServer.start { request in
            paths.withLockedValue { $0.append(request.path) }
            return .json(["output": request.method])
        }
        var spec = try EndpointSpec(url: "http://127.0.0.1:\(server.port)/search?q={inputs}&k=3")
        spec.method = "GET"
        let model = try EndpointModel(spec: spec, options: Self.options())
        let data = Dataset(columns: ["inputs"], rows: [["a&b=c d/é?#"]])
        let result = try await evaluate(data, model: model, extraMetrics: [.tokenCount])
        await model.shutdown()
        #expect(try result.table.column("outputs") == ["GET"])
        #expect(paths.withLockedValue { $0 } == ["/search?q=a%26b%3Dc%20d%2F%C3%A9%3F%23&k=3"])
        await server.stop()
    }

    @Test func bodyTemplatesSendHostileTextUnchangedAsValidJSON() async throws {
        let template = try BodyTemplate(json: #"{"question": "Q: {inputs}", "raw": "{inputs}", "n": "{n}", "nested": [{"x": "{{literal}} {inputs}"}]}"#)
        let alphabet = Array("\"\\\n\r{}\u{0}\té🙂\u{2028}ab 1")
        let characters = Gen<Character?>.element(of: alphabet).map { $0 ?? "x" }
        await propertyCheck(count: 300, input: characters.string(of: 0...40)) { text in
            let row = DataRow(["inputs": .string(text), "n": .int(7)])
            let body = try template.render(row).description
            let parsed = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            #expect(parsed["question"] as? String == "Q: " + text)
            #expect(parsed["raw"] as? String == text)
            #expect(parsed["n"] as? Int == 7, "a lone placeholder keeps the cell's type")
            #expect(((parsed["nested"] as? [[String: String]])?.first?["x"]) == "{literal} " + text)
        }

        // And through a real server: what arrives parses to the row's text.
        let received = NIOLockedValueBox<[String]>([])
        let server = try await FakeChatServer.start { request in
            received.withLockedValue { $0.append((request.json?["raw"] as? String) ?? "<unparsable: \(String(decoding: request.body, as: UTF8.self))>") }
            return .json(["output": "ok"])
        }
        var spec = try EndpointSpec(url: "http://127.0.0.1:\(server.port)/")
        spec.body = template
        let model = try EndpointModel(spec: spec, options: Self.options())
        let texts = ["say \"hi\" \\ back", "line one\nline two\r\n", "{inputs} {{ }} {", "nul \u{0} tab \t", "ünï 🙂 \u{2028}"]
        let data = Dataset(columns: ["inputs", "n"], rows: texts.map { [.string($0), .int(1)] })
        let result = try await evaluate(data, model: model, extraMetrics: [.tokenCount])
        await model.shutdown()
        #expect(result.failedRows == 0)
        #expect(Set(received.withLockedValue { $0 }) == Set(texts))
        await server.stop()
    }

    @Test func replyPathsReadWhatTheySay() throws {
        let reply = try DataValue(json: #"{"data": {"answer": "yes", "docs": [{"id": 1, "t": "a"}, {"id": 2}, {"id": 3, "t": "c"}]}, "odd key": [10, 20]}"#)
        #expect(try ReplyPath("$.data.answer").value(in: reply) == "yes")
        #expect(try ReplyPath("data.answer").value(in: reply) == "yes")
        #expect(try ReplyPath("$.data.docs[*].t").value(in: reply) == ["a", "c"])
        #expect(try ReplyPath("$.data.docs[-1].id").value(in: reply) == 3)
        #expect(try ReplyPath("$['odd key'][1]").value(in: reply) == 20)
        #expect(try ReplyPath("$").value(in: reply) == reply)
        #expect(try ReplyPath("$.data.missing").value(in: reply) == nil)
        #expect(try ReplyPath("$.data.docs[9]").value(in: reply) == nil)
        for broken in ["$.", "$.data[", "$[abc]", "$['open", "$data"] {
            #expect(throws: AssayError.self, "\(broken)") { try ReplyPath(broken) }
        }
    }

    // MARK: - Commands

    /// A script that answers most rows and, by row, fails, hangs, prints garbage or nothing.
    static func script(in folder: TemporaryFolder) throws -> String {
        let path = folder.path("answer.py")
        try """
            #!/usr/bin/env python3
            import json, os, sys, time
            row = json.load(sys.stdin)
            q = row["inputs"]
            n = int(q.split()[-1])
            if n % 7 == 1:
                sys.stderr.write("index not loaded for %s\\n" % q)
                sys.exit(2)
            if n % 7 == 2:
                with open(os.environ["PID_FILE"] + str(n), "w") as f:
                    f.write(str(os.getpid()))
                time.sleep(60)
            if n % 7 == 3:
                sys.stdout.buffer.write(b"{\\xff garbage")
                sys.exit(0)
            if n % 7 == 4:
                sys.exit(0)
            if n % 7 == 5:
                print("plain answer to " + q)
                sys.exit(0)
            print(json.dumps({"answer": "answer to " + q, "documents": ["doc for " + q], "usage": {"prompt_tokens": 3, "completion_tokens": 2}}))
            """.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    @Test func aCommandThatAnswersFailsHangsAndPrintsGarbageLosesNoRow() async throws {
        let folder = try TemporaryFolder()
        var spec = try CommandSpec(arguments: [try Self.script(in: folder)])
        spec.environment = ["PID_FILE": folder.path("pid-")]
        spec.reply.output = try ReplyPath("$.answer")
        spec.reply.columns = [("context", try ReplyPath("$.documents"))]
        let rows = 14
        let cache = try ResponseCache(directory: folder.path("cache"))
        // Three attempts of 8 s for a hanging row: about 20 s on a quiet machine, where the attempts
        // without the deadline would take the script's 60 s each.
        var options = Self.options(timeout: .seconds(8))
        options.maxAttempts = 3
        let model = try CommandModel(spec: spec, options: options, cache: cache)
        var configuration = EvaluationConfiguration()
        configuration.concurrency = 4
        let clock = ContinuousClock()
        let start = clock.now
        let result = try await evaluate(
            Self.questions(rows), model: model, targets: "ground_truth", extraMetrics: [.exactMatch, Self.contextSize],
            configuration: configuration)
        let elapsed = clock.now - start
        #expect(result.rowCount == rows)
        let errors = try #require(try result.table.column("error")).map { $0.stringValue ?? "" }
        let outputs = try #require(try result.table.column("outputs"))
        for n in 0..<rows {
            switch n % 7 {
            case 1: #expect(errors[n].contains("exited with status 2") && errors[n].contains("index not loaded for question \(n)"), "\(errors[n])")
            case 2: #expect(errors[n].contains("timed out after 8 s"), "\(errors[n])")
            case 3: #expect(errors[n].contains("not valid JSON"), "\(errors[n])")
            case 4, 5: #expect(errors[n].contains("not valid JSON") || errors[n].contains("empty"), "\(n): \(errors[n])")
            default:
                #expect(errors[n] == "", "\(errors[n])")
                #expect(outputs[n] == .string("answer to question \(n)"))
            }
        }
        #expect(result.failedRows == 10)
        #expect(result.metrics["exact_match/v1"] == 1)
        #expect(result.metrics["context_size/mean"] == 1)
        #expect(result.usage.promptTokens == 3 * 4)
        // "timed out after 8 s" above is the deadline at work; the clock, which a test process busy with
        // every other suite stretches (65 s seen), only bounds it by the untimed attempts' 180 s.
        #expect(elapsed < .seconds(180), "the hanging rows were cut off at their deadline: \(elapsed)")
        // The hanging commands were stopped, not left behind.
        for n in stride(from: 2, to: rows, by: 7) {
            let pid = try #require(Int32(try String(contentsOfFile: folder.path("pid-\(n)"), encoding: .utf8)))
            #expect(kill(pid, 0) != 0, "process \(pid) of row \(n) is still running")
        }

        // Again: the answered rows come from the cache; the failed ones are asked again.
        let again = try CommandModel(spec: spec, options: Self.options(timeout: .seconds(8)), cache: cache)
        let second = try await evaluate(
            Self.questions(rows), model: again, targets: "ground_truth", extraMetrics: [.exactMatch], configuration: configuration)
        #expect(second.usage.cachedAnswers == 4)
        #expect(again.activity.calls == 10)
        #expect(try second.table.column("outputs") == outputs)

        // A changed program is a new cache key.
        try (try String(contentsOfFile: spec.program, encoding: .utf8) + "\n# v2\n").write(toFile: spec.program, atomically: true, encoding: .utf8)
        chmod(spec.program, 0o755)
        let changed = try CommandModel(spec: spec, options: Self.options(), cache: cache)
        let third = try await evaluate(Self.questions(1), model: changed, targets: "ground_truth", extraMetrics: [.exactMatch])
        #expect(third.usage.cachedAnswers == 0)
    }

    @Test func commandArgumentsTakePlaceholdersAndAProgramMustExist() async throws {
        var spec = try CommandSpec(commandLine: "printf '%s|%s' {inputs} 'two words'")
        spec.sendsRow = false
        let model = try CommandModel(spec: spec, options: Self.options())
        let data = Dataset(columns: ["inputs"], rows: [["a \"quoted\" $HOME `x`"]])
        let result = try await evaluate(data, model: model, extraMetrics: [.tokenCount])
        let errors = try result.table.column("error") ?? []
        #expect(try result.table.column("outputs") == ["a \"quoted\" $HOME `x`|two words"], "arguments go to the program as they are, no shell: \(errors)")
        let nul = try await evaluate(Dataset(columns: ["inputs"], rows: [["a\u{0}b"], ["fine"]]), model: model, extraMetrics: [.tokenCount])
        #expect(try nul.table.column("error")?[0].stringValue?.contains("NUL byte") == true)
        #expect(try nul.table.column("outputs")?[1] == "fine|two words")
        #expect(throws: AssayError.self) { try CommandModel(spec: try CommandSpec(commandLine: "./no-such-program"), options: Self.options()) }
        #expect(throws: AssayError.self) { try CommandModel(spec: try CommandSpec(commandLine: "no-such-program-anywhere"), options: Self.options()) }
        #expect(throws: AssayError.self) { try CommandSpec(commandLine: "echo 'unclosed") }
    }
}
