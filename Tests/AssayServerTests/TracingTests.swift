import Assay
import AssayTesting
import AssayTracing
import Foundation
import HTTPTypes
import NIOHTTP1
import Testing

/// AssayTracing sending a Swift app's spans to a server, and the traced-chat example against the local model.
@Suite struct TracingTests {
    struct Boom: Error {}

    @Test func nestedSpansArriveAsOneTraceWithTheirChat() async throws {
        try await LiveServer.with(live: true) { server in
            let tracer = AssayTracer(server: server.base, experiment: "swift-app", token: nil)
            let traceID = try await tracer.span("answer", kind: .server) { root in
                try await tracer.span("retrieve") { $0.recordRetrieval(["Paris is in France."]) }
                try await tracer.span("chat gemma", kind: .client) { chat in
                    chat.recordChat(
                        model: "gemma-3-270m",
                        messages: [
                            ChatMessage(role: "system", content: "Answer in one word."),
                            ChatMessage(role: "user", content: "Capital of France?"),
                        ], answer: "Paris <b>!</b>",
                        usage: TokenUsage(promptTokens: 9, completionTokens: 3))
                }
                _ = try? await tracer.span("flaky tool") { _ -> Int in throw Boom() }
                return root.traceID
            }
            try await tracer.shutdown()
            let page = try await server.send(.get, "/traces/\(traceID)")
            #expect(page.status == 200)
            #expect(
                page.body.contains("Capital of France?") && page.body.contains("Paris &lt;b&gt;!&lt;/b&gt;") && page.body.contains("9 / 3"))
            #expect(
                page.body.contains("Paris is in France.") && page.body.contains("flaky tool")
                    && page.body.contains(#"<span class="status ERROR">error</span>"#))
            #expect(page.body.components(separatedBy: "span-name").count - 1 == 4, "four spans in one trace")
            #expect(page.body.contains("System instructions") && page.body.contains("Answer in one word."))
            #expect(page.body.contains("--depth: 1"), "children are nested under the root")
        }
    }

    static let llm = ProcessInfo.processInfo.environment["ASSAY_LLM_URL"]

    @Test(.enabled(if: llm != nil, "set ASSAY_LLM_URL to the local model's OpenAI-compatible URL, or run scripts/test"))
    func theTracedChatExampleTracesLocalModelCalls() async throws {
        try await LiveServer.with(live: true) { server in
            let folder = try TemporaryFolder()
            let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("traced-chat")
            let (status, output) = try await BrowserTests.run(
                binary.path, ["--server", server.base, "--base-url", Self.llm!, "What is the capital of France?"], in: folder)
            #expect(status == 0, "\(output)")
            #expect(output.contains("Traced 1 turns"))
            let list = try await server.send(.get, "/experiments/1/traces")
            #expect(list.body.contains("gemma-3-270m") && list.body.contains("What is the capital of France?"), "\(list.body)")
        }
    }
}
