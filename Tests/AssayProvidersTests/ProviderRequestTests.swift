import Assay
import AssayProviders
import AssayTesting
import Foundation
import NIOConcurrencyHelpers
import Testing

/// What each provider sends and how its replies are read, checked against a real loopback server.
@Suite struct ProviderRequestTests {
    /// A server that records requests and answers with `reply`.
    static func recording(
        _ reply: @escaping @Sendable (FakeChatServer.Request) -> FakeChatServer.Reply
    )
        async throws -> (FakeChatServer, NIOLockedValueBox<[FakeChatServer.Request]>)
    {
        let seen = NIOLockedValueBox([FakeChatServer.Request]())
        let server = try await FakeChatServer.start { request in
            seen.withLockedValue { $0.append(request) }
            return reply(request)
        }
        return (server, seen)
    }

    static func header(_ request: FakeChatServer.Request, _ name: String) -> String? {
        request.headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    static let row = Dataset(columns: ["inputs"], rows: [["What is Swift?"]])

    static func spec(_ uri: String, parameters: [String: DataValue] = [:]) throws -> ModelSpec {
        ModelSpec(
            model: try ModelURI(uri),
            messages: [
                MessageTemplate(role: "system", content: try PromptTemplate("Be brief.")),
                MessageTemplate(role: "user", content: try PromptTemplate("Q: {inputs}")),
            ], parameters: parameters)
    }

    @Test func openAIBodyHeadersAndParameters() async throws {
        let (server, seen) = try await Self.recording { _ in .chatCompletion("A language.") }
        var options = ProviderOptions()
        options.environment = ["OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": server.baseURL]
        options.extraHeaders = ["X-Team": "evals"]
        let model = try ChatModel(spec: Self.spec("openai:/gpt-4o-mini", parameters: ["temperature": 0, "seed": 7]), options: options)
        let result = try await evaluate(Self.row, model: model, extraMetrics: [.latency])
        await model.shutdown()
        #expect(try result.table.column("outputs") == ["A language."])
        let request = try #require(seen.withLockedValue { $0.first })
        #expect(request.path == "/v1/chat/completions")
        #expect(Self.header(request, "Authorization") == "Bearer sk-test")
        #expect(Self.header(request, "X-Team") == "evals")
        let body = try #require(request.json)
        #expect(body["model"] as? String == "gpt-4o-mini")
        #expect(body["temperature"] as? Int == 0)
        #expect(body["seed"] as? Int == 7)
        let messages = try #require(body["messages"] as? [[String: String]])
        #expect(messages == [["role": "system", "content": "Be brief."], ["role": "user", "content": "Q: What is Swift?"]])
        #expect(result.usage.cost > 0, "gpt-4o-mini is priced")
        await server.stop()
    }

    @Test func azureUsesDeploymentURLAndApiKeyHeader() async throws {
        let (server, seen) = try await Self.recording { _ in .chatCompletion("ok") }
        var options = ProviderOptions()
        options.environment = [
            "OPENAI_API_TYPE": "azure", "OPENAI_API_BASE": "http://127.0.0.1:\(server.port)", "OPENAI_API_KEY": "az-key",
            "OPENAI_API_VERSION": "2024-02-01", "OPENAI_DEPLOYMENT_NAME": "my-gpt",
        ]
        let model = try ChatModel(spec: Self.spec("openai:/gpt-4o"), options: options)
        _ = try await evaluate(Self.row, model: model, extraMetrics: [.latency])
        await model.shutdown()
        let request = try #require(seen.withLockedValue { $0.first })
        #expect(request.path == "/openai/deployments/my-gpt/chat/completions?api-version=2024-02-01")
        #expect(Self.header(request, "api-key") == "az-key")
        #expect(Self.header(request, "Authorization") == nil)
        #expect(request.json?["model"] == nil)
        await server.stop()
    }

    @Test func anthropicMessagesAPI() async throws {
        let (server, seen) = try await Self.recording { _ in
            .json(["content": [["type": "text", "text": "Swift is a language."]], "usage": ["input_tokens": 12, "output_tokens": 6]])
        }
        var options = ProviderOptions()
        options.environment = ["ANTHROPIC_API_KEY": "ant-key"]
        options.baseURL = server.baseURL
        let model = try ChatModel(spec: Self.spec("anthropic:/claude-3-5-haiku-latest", parameters: ["stop": ["\n"]]), options: options)
        let result = try await evaluate(Self.row, model: model, extraMetrics: [.latency])
        await model.shutdown()
        #expect(try result.table.column("outputs") == ["Swift is a language."])
        #expect(try result.table.column("prompt_tokens") == [12])
        let request = try #require(seen.withLockedValue { $0.first })
        #expect(request.path == "/v1/messages")
        #expect(Self.header(request, "x-api-key") == "ant-key")
        #expect(Self.header(request, "anthropic-version") == "2023-06-01")
        let body = try #require(request.json)
        #expect(body["system"] as? String == "Be brief.")
        #expect(body["max_tokens"] as? Int == 1024)
        #expect(body["stop_sequences"] as? [String] == ["\n"])
        #expect((body["messages"] as? [[String: String]])?.count == 1)
        await server.stop()
    }

    @Test func gatewayEndpointsAndProxyURL() async throws {
        let (server, seen) = try await Self.recording { _ in .chatCompletion("via gateway") }
        var options = ProviderOptions()
        options.environment = ["ASSAY_DEPLOYMENTS_TARGET": "http://127.0.0.1:\(server.port)"]
        let model = try ChatModel(spec: Self.spec("endpoints:/chat"), options: options)
        _ = try await evaluate(Self.row, model: model, extraMetrics: [.latency])
        await model.shutdown()
        #expect(seen.withLockedValue { $0.first?.path } == "/endpoints/chat/invocations")

        var proxied = ProviderOptions()
        proxied.environment = ["OPENAI_API_KEY": "k"]
        proxied.proxyURL = "http://127.0.0.1:\(server.port)/custom/route?x=1"
        let viaProxy = try ChatModel(spec: Self.spec("openai:/gpt-4o-mini"), options: proxied)
        _ = try await evaluate(Self.row, model: viaProxy, extraMetrics: [.latency])
        await viaProxy.shutdown()
        #expect(seen.withLockedValue { $0.last?.path } == "/custom/route?x=1")
        await server.stop()
    }

    @Test func missingSettingsAreErrorsBeforeAnyRow() async throws {
        var options = ProviderOptions()
        options.environment = [:]
        #expect(
            await errorMessage { _ = try ChatModel(spec: Self.spec("anthropic:/claude-3-5-haiku"), options: options) }
                == "anthropic:/claude-3-5-haiku needs an API key: set ANTHROPIC_API_KEY")
        #expect(
            await errorMessage { _ = try ChatModel(spec: Self.spec("endpoints:/chat"), options: options) }?
                .contains("ASSAY_DEPLOYMENTS_TARGET") == true)
        #expect(
            await errorMessage { _ = try ChatModel(spec: Self.spec("azure:/dep"), options: options) }?
                .contains("AZURE_OPENAI_ENDPOINT") == true)
        #expect(await errorMessage { _ = try ModelURI("gpt-4o") }?.contains("must look like provider:/model") == true)
    }

    @Test func modelSpecFilesAndParameters() async throws {
        let folder = try TemporaryFolder()
        let path = try folder.file(
            "spec.yaml",
            """
            model: openai:/gpt-4o-mini
            messages:
              - role: system
                content: Answer the following question in two sentences
              - role: user
                content: "{question}"
            parameters:
              temperature: 0
              max_tokens: 200
            extra_headers:
              X-Trace: "on"
            """)
        let spec = try ModelSpec.load(path)
        #expect(spec.model.description == "openai:/gpt-4o-mini")
        #expect(spec.messages.map(\.content.source) == ["Answer the following question in two sentences", "{question}"])
        #expect(spec.parameters == ["temperature": 0, "max_tokens": 200])
        #expect(spec.extraHeaders == ["X-Trace": "on"])
        let reloaded = try ModelSpec.load(try folder.file("again.yaml", spec.yaml))
        #expect(reloaded.messages == spec.messages)
        #expect(reloaded.parameters == spec.parameters)
        let bad = try folder.file("bad.yaml", "model: openai:/x\nmesages: []\n")
        #expect(await errorMessage { _ = try ModelSpec.load(bad) }?.contains("unknown key 'mesages'") == true)
        #expect(try ModelSpec.parameter("temperature=0.2") == ("temperature", 0.2))
        #expect(try ModelSpec.parameter("stop=[\"\\n\"]") == ("stop", ["\n"]))
        #expect(try ModelSpec.parameter("user=alice") == ("user", "alice"))
    }

    @Test func pricesAndDryRunEstimate() throws {
        #expect(PriceTable.builtIn.price(for: "gpt-4o-mini-2024-07-18") == .init(input: 0.15, output: 0.60))
        #expect(PriceTable.builtIn.price(for: "gemma-3-270m") == nil)
        var options = ProviderOptions()
        options.environment = ["OPENAI_API_KEY": "k"]
        let model = try ChatModel(spec: Self.spec("openai:/gpt-4o-mini", parameters: ["max_tokens": 100]), options: options)
        let estimate = try model.estimate(Self.row, repeats: 2)
        // "Be brief." is 3 tokens and "Q: What is Swift?" 6: (3 + 3) + (3 + 6) + 3 = 18 per request.
        #expect(estimate.requests == 2)
        #expect(estimate.promptTokens == 36)
        #expect(estimate.maxCompletionTokens == 200)
        #expect(abs(estimate.maxCost! - (36 * 0.15 + 200 * 0.60) / 1_000_000) < 1e-15)
    }
}
