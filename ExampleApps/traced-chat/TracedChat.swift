import ArgumentParser
import Assay
import AssayProviders
import AssayTracing
import Foundation

/// Asks a chat model a few questions and traces every turn to an Assay server with AssayTracing: a root
/// span per question, a retrieval step and the model call with its messages, answer and token usage.
///
///     scripts/local-llm start
///     swift run assay server &
///     swift run traced-chat --base-url http://127.0.0.1:8091/v1 --model gemma-3-270m
///     swift run assay evaluate --traces traced-chat --metrics token_count,flesch_kincaid_grade_level
@main
struct TracedChat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "traced-chat", abstract: "Ask a model questions, tracing each turn to an Assay server.")

    @Option(help: "The Assay server.") var server = "http://127.0.0.1:5000"
    @Option(help: "The experiment the traces go to.") var experiment = "traced-chat"
    @Option(help: "An OpenAI-compatible endpoint.") var baseURL = "http://127.0.0.1:8091/v1"
    @Option(help: "The model name.") var model = "gemma-3-270m"
    @Argument(help: "Questions (three built-in ones when none are given).")
    var questions: [String] = ["What is the capital of France?", "What is MLflow used for?", "How many legs does a spider have?"]

    func run() async throws {
        let tracer = AssayTracer(server: server, experiment: experiment, serviceName: "traced-chat")
        var options = ProviderOptions()
        options.baseURL = baseURL
        options.environment["OPENAI_API_KEY"] = options.environment["OPENAI_API_KEY"] ?? "not-needed"
        let chat = try ChatModel(spec: ModelSpec(model: try ModelURI("openai:/\(model)")), options: options)
        let notes = [
            "Paris is the capital and largest city of France.", "MLflow is an open-source platform for the machine learning lifecycle.",
            "Spiders are arachnids with eight legs.",
        ]
        for question in questions {
            let answer = try await tracer.span("answer", kind: .server, attributes: ["input.value": .string(question)]) { root in
                let context = try await tracer.span("retrieve") { span in
                    let found = notes.filter { note in question.split(separator: " ").contains { $0.count > 3 && note.contains($0) } }
                    span.recordRetrieval(found)
                    return found
                }
                return try await tracer.span("chat \(model)", kind: .client) { span in
                    let messages = [
                        ChatMessage(role: "system", content: "Answer in one sentence. Notes: " + context.joined(separator: " ")),
                        ChatMessage(role: "user", content: question),
                    ]
                    let completion = try await chat.complete(ChatRequest(messages: messages, parameters: ["max_tokens": 60]))
                    span.recordChat(model: model, messages: messages, answer: completion.text, usage: completion.usage)
                    root.setAttribute("output.value", .string(completion.text))
                    return completion.text
                }
            }
            print("\(question)\n  \(answer.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        await chat.shutdown()
        try await tracer.shutdown()
        print("Traced \(questions.count) turns to \(server) (experiment '\(experiment)').")
    }
}
