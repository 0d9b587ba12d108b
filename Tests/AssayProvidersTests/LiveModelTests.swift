import Assay
import AssayTesting
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import Testing

@testable import AssayProviders

/// Live-model evaluation against real HTTP servers on loopback that misbehave on purpose.
@Suite struct LiveModelTests {
    static func questions(_ count: Int) -> Dataset {
        Dataset(
            columns: ["inputs", "ground_truth"], rows: (0..<count).map { [.string("question \($0)"), .string("echo: question \($0)")] })
    }

    static func model(
        _ server: FakeChatServer, cacheDirectory: String? = nil, policy: ChatModel.CachePolicy = .use,
        configure: (inout ProviderOptions) -> Void = { _ in }, budget: CostBudget? = nil, prices: PriceTable = .builtIn
    ) throws -> ChatModel {
        var options = ProviderOptions()
        options.baseURL = server.baseURL
        options.environment = [:]
        configure(&options)
        let spec = ModelSpec(model: try ModelURI("openai:/fake-model"))
        let cache = try cacheDirectory.map { try ResponseCache(directory: $0) }
        return try ChatModel(spec: spec, options: options, cache: cache, cachePolicy: policy, prices: prices, budget: budget)
    }

    @Test func faultsAreRetriedAndNoRowIsLostOrDuplicated() async throws {
        let faults = FaultInjector(seed: 7, rate: 0.5, maxFaultsPerRequest: 2, slowDelay: .milliseconds(2500))
        let server = try await FakeChatServer.start(behaviour: faults.behaviour)
        let folder = try TemporaryFolder()
        let rows = 120
        let model = try Self.model(server, cacheDirectory: folder.url.path) {
            $0.timeout = .milliseconds(700)
            $0.maxAttempts = 5
            $0.concurrency = 4
        }
        var configuration = EvaluationConfiguration()
        configuration.concurrency = 4
        let result = try await evaluate(
            Self.questions(rows), model: model, targets: "ground_truth", extraMetrics: [.exactMatch, .latency],
            configuration: configuration)
        await model.shutdown()

        #expect(result.rowCount == rows)
        #expect(result.failedRows == 0)
        #expect(result.metrics["exact_match/v1"] == 1, "every row answered with its own echo")
        let outputs = try #require(try result.table.column("outputs")).map(\.text)
        #expect(outputs == (0..<rows).map { "echo: question \($0)" })
        let injected = faults.injectedFaults
        #expect(injected.values.reduce(0, +) > 20, "faults injected: \(injected)")
        #expect(injected.keys.count == FaultInjector.Fault.allCases.count, "every kind of fault occurred: \(injected)")
        let counters = server.counters
        #expect(counters.requests > rows)
        #expect(counters.maxInFlight <= 4, "in flight at most the concurrency limit, saw \(counters.maxInFlight)")
        #expect(result.usage.modelCalls == rows)
        #expect(result.usage.promptTokens == 10 * rows)

        // A second run answers everything from the cache: the server sees no request at all.
        server.resetCounters()
        let again = try Self.model(server, cacheDirectory: folder.url.path)
        let cached = try await evaluate(
            Self.questions(rows), model: again, targets: "ground_truth", extraMetrics: [.exactMatch, .latency])
        await again.shutdown()
        #expect(server.counters.requests == 0)
        #expect(cached.usage.cachedAnswers == rows)
        #expect(cached.metrics["exact_match/v1"] == 1)
        #expect(try cached.table.column("cached")?.allSatisfy { $0 == .bool(true) } == true)
        // Cached rows keep the latency recorded when they were first answered.
        #expect(try cached.table.column("latency") == (try result.table.column("latency")))
        await server.stop()
    }

    @Test func rowsThatKeepFailingAreRecordedAndTheRunGoesOn() async throws {
        let server = try await FakeChatServer.start { request in
            request.lastMessage.hasSuffix("3") ? .json(["error": ["message": "boom"]], status: 503) : .chatCompletion("fine")
        }
        let model = try Self.model(server) { $0.maxAttempts = 2 }
        let result = try await evaluate(Self.questions(10), model: model, targets: "ground_truth", extraMetrics: [.latency])
        await model.shutdown()
        #expect(result.failedRows == 1)
        let errors = try #require(try result.table.column("error"))
        #expect(errors[3] == .string("gave up after 2 attempts: HTTP 503: boom"))
        #expect(errors.enumerated().allSatisfy { $0.offset == 3 || $0.element == .null })
        #expect(result.unscoredRows["latency"] == 1)
        #expect(server.counters.requests == 11)
        await server.stop()
    }

    @Test func badCredentialsStopTheRunWithAClearMessage() async throws {
        let server = try await FakeChatServer.start { _ in .json(["error": ["message": "Incorrect API key provided"]], status: 401) }
        let model = try Self.model(server)
        let message = await errorMessage {
            _ = try await evaluate(Self.questions(50), model: model, extraMetrics: [.latency])
        }
        await model.shutdown()
        #expect(message?.contains("refused the credentials (HTTP 401): Incorrect API key provided; check the API key") == true)
        #expect(server.counters.requests < 50)
        await server.stop()
    }

    @Test func retryAfterPausesBeforeTheRetry() async throws {
        let times = NIOLockedValueBox([ContinuousClock.Instant]())
        let server = try await FakeChatServer.start { _ in
            let count = times.withLockedValue { t -> Int in
                t.append(.now)
                return t.count
            }
            return count == 1
                ? .json(["error": ["message": "slow down"]], status: 429, headers: [("Retry-After", "1")]) : .chatCompletion("ok")
        }
        let model = try Self.model(server)
        let result = try await evaluate(Self.questions(1), model: model, extraMetrics: [.latency])
        await model.shutdown()
        #expect(result.failedRows == 0)
        let seen = times.withLockedValue { $0 }
        #expect(seen.count == 2)
        #expect(seen[1] - seen[0] >= .milliseconds(950))
        await server.stop()
    }

    @Test func pauseHeadersAreCappedAndNonsenseIsIgnored() {
        let cap = Duration.seconds(60)
        func pause(_ fields: [(String, String)]) -> Duration? { HTTPTransport.retryAfter(HTTPHeaders(fields), cap: cap) }
        #expect(pause([("retry-after-ms", "NaN")]) == nil)
        #expect(pause([("retry-after-ms", "-5")]) == nil)
        #expect(pause([("retry-after-ms", "250")]) == .milliseconds(250))
        #expect(pause([("Retry-After", "1e300")]) == cap)
        #expect(pause([("Retry-After", "inf")]) == cap)
        #expect(pause([("Retry-After", "999999999")]) == cap)
        #expect(pause([("Retry-After", "2")]) == .seconds(2))
        #expect(pause([("Retry-After", "Thu, 01 Jan 2099 00:00:00 GMT")]) == cap, "a date far ahead")
        #expect(pause([("Retry-After", "Thu, 01 Jan 1970 00:00:00 GMT")]) == .zero, "a date in the past")
        let reset = [("x-ratelimit-remaining-requests", "0"), ("x-ratelimit-reset-requests", "99999999999999999999h")]
        #expect(pause(reset) == cap)
        #expect(pause([("x-ratelimit-remaining-requests", "0"), ("x-ratelimit-reset-requests", "1m30s")]) == .seconds(60))
        #expect(pause([("x-ratelimit-remaining-tokens", "0"), ("x-ratelimit-reset-tokens", "250ms")]) == .milliseconds(250))
        #expect(HTTPTransport.timeAmount(.seconds(Int64.max)).nanoseconds == .max)
    }

    @Test func aHugeRetryAfterWaitsOnlyTheCap() async throws {
        let count = NIOLockedValueBox(0)
        let server = try await FakeChatServer.start { _ in
            let n = count.withLockedValue { n -> Int in
                n += 1
                return n
            }
            return n == 1
                ? .json(["error": ["message": "later"]], status: 429, headers: [("Retry-After", "999999999")]) : .chatCompletion("ok")
        }
        let model = try Self.model(server) { $0.maxRetryPause = .milliseconds(300) }
        let clock = ContinuousClock()
        let start = clock.now
        let result = try await evaluate(Self.questions(1), model: model, extraMetrics: [.latency])
        let elapsed = clock.now - start
        await model.shutdown()
        #expect(result.failedRows == 0 && count.withLockedValue { $0 } == 2)
        #expect(elapsed < .seconds(30), "waited \(elapsed)")
        await server.stop()
    }

    @Test func aTricklingReplyTimesOut() async throws {
        let body = Array(#"{"choices": [{"message": {"role": "assistant", "content": "slow"}}]}"#.utf8)
        // 66 bytes at 0.5 s each: 33 s per attempt without a deadline on the body.
        let server = try await FakeChatServer.start { _ in .trickled(status: 200, body: body, interval: .milliseconds(500)) }
        let model = try Self.model(server) {
            $0.timeout = .seconds(1)
            $0.maxAttempts = 2
        }
        let clock = ContinuousClock()
        let start = clock.now
        let result = try await evaluate(Self.questions(1), model: model, extraMetrics: [.latency])
        let elapsed = clock.now - start
        await model.shutdown()
        #expect(result.failedRows == 1)
        let errors = try #require(try result.table.column("error"))
        #expect(errors[0] == .string("gave up after 2 attempts: timed out"), "\(errors)")
        // "timed out" already shows the deadline cut the body off (the whole body would have been an
        // answer). The clock only bounds it by the two attempts' untimed bodies: a test process busy with
        // every other suite has stretched the two 1 s deadlines to 35 s.
        #expect(elapsed < .seconds(body.count), "the body would take \(body.count / 2) s per attempt; took \(elapsed)")
        await server.stop()
    }

    @Test func repeatsAreSeparateSamplesWithTheirOwnCacheKeys() async throws {
        let server = try await FakeChatServer.start()
        let folder = try TemporaryFolder()
        let model = try Self.model(server, cacheDirectory: folder.url.path)
        var configuration = EvaluationConfiguration()
        configuration.repeats = 3
        let result = try await evaluate(Self.questions(4), model: model, extraMetrics: [.latency], configuration: configuration)
        #expect(result.rowCount == 12)
        #expect(try result.table.column("sample") == [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2])
        #expect(server.counters.requests == 12)
        #expect(try await ResponseCache(directory: folder.url.path).count() == 12)

        let again = try await evaluate(Self.questions(4), model: model, extraMetrics: [.latency], configuration: configuration)
        #expect(again.usage.cachedAnswers == 12)
        #expect(server.counters.requests == 12)
        await model.shutdown()

        let refresh = try Self.model(server, cacheDirectory: folder.url.path, policy: .refresh)
        _ = try await evaluate(Self.questions(4), model: refresh, extraMetrics: [.latency], configuration: configuration)
        await refresh.shutdown()
        #expect(server.counters.requests == 24)
        await server.stop()
    }

    @Test func theBudgetStopsSendingAndSaysSo() async throws {
        let server = try await FakeChatServer.start { _ in .chatCompletion("ok", promptTokens: 1000, completionTokens: 0) }
        // $1 per million prompt tokens: each call costs $0.001.
        let prices = PriceTable(prices: ["fake-model": .init(input: 1, output: 1)])
        let model = try Self.model(server, configure: { $0.concurrency = 1 }, budget: CostBudget(limit: 0.0025), prices: prices)
        var configuration = EvaluationConfiguration()
        configuration.concurrency = 1
        let result = try await evaluate(Self.questions(10), model: model, extraMetrics: [.latency], configuration: configuration)
        await model.shutdown()
        #expect(server.counters.requests == 3)
        #expect(result.usage.rowsOverBudget == 7)
        #expect(abs(result.usage.cost - 0.003) < 1e-12)
        let errors = try #require(try result.table.column("error"))
        #expect(errors.last?.text.hasPrefix("not sent: the budget of $0.0025 was reached") == true)
        await server.stop()
    }

    @Test func withMaxTokensTheBudgetHoldsEvenUnderConcurrency() async throws {
        let server = try await FakeChatServer.start { _ in
            .delayed(.milliseconds(20), .chatCompletion("ok", promptTokens: 0, completionTokens: 100))
        }
        // $10 per million completion tokens and max_tokens 100: a call costs at most $0.001.
        let prices = PriceTable(prices: ["fake-model": .init(input: 0, output: 10)])
        var options = ProviderOptions()
        options.baseURL = server.baseURL
        options.concurrency = 8
        let spec = ModelSpec(model: try ModelURI("openai:/fake-model"), parameters: ["max_tokens": 100])
        let model = try ChatModel(spec: spec, options: options, prices: prices, budget: CostBudget(limit: 0.0045))
        var configuration = EvaluationConfiguration()
        configuration.concurrency = 8
        let result = try await evaluate(Self.questions(40), model: model, extraMetrics: [.latency], configuration: configuration)
        await model.shutdown()
        #expect(server.counters.requests == 4)
        #expect(result.usage.cost <= 0.0045)
        #expect(result.usage.rowsOverBudget == 36)
        await server.stop()
    }

    @Test func interruptingKeepsWhatFinished() async throws {
        let server = try await FakeChatServer.start { request in
            .delayed(.milliseconds(100), .chatCompletion("late " + request.lastMessage))
        }
        let model = try Self.model(server) { $0.concurrency = 2 }
        var configuration = EvaluationConfiguration()
        configuration.concurrency = 2
        let task = Task { [configuration] in
            try await evaluate(Self.questions(5000), model: model, extraMetrics: [.latency], configuration: configuration)
        }
        // Interrupt once some rows have been answered: the server has sent four replies, and the client has
        // had time to read them (a reply still being read when the run is interrupted is not kept).
        for _ in 0..<200 where server.counters.succeeded < 4 { try await Task.sleep(for: .milliseconds(50)) }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        let result = try await task.value
        await model.shutdown()
        #expect(result.usage.interrupted)
        #expect(result.rowCount < 5000)
        #expect(result.usage.modelCalls >= 4)
        let outputs = try #require(try result.table.column("outputs"))
        #expect(outputs.count == result.usage.modelCalls, "only answered rows are kept")
        #expect(outputs.allSatisfy { $0.text.hasPrefix("late question") })
        #expect(result.failedRows == 0)
        await server.stop()
    }

    @Test func missingPlaceholderColumnFailsBeforeAnyCall() async throws {
        let server = try await FakeChatServer.start()
        var options = ProviderOptions()
        options.baseURL = server.baseURL
        let spec = ModelSpec(
            model: try ModelURI("openai:/m"), messages: [MessageTemplate(role: "user", content: try PromptTemplate("Q: {question}"))])
        let model = try ChatModel(spec: spec, options: options)
        let message = await errorMessage { _ = try await evaluate(Self.questions(3), model: model, extraMetrics: [.latency]) }
        await model.shutdown()
        #expect(message == "prompt placeholder {question} names no column; the dataset's columns are: 'inputs', 'ground_truth'")
        #expect(server.counters.requests == 0)
        await server.stop()
    }
}
