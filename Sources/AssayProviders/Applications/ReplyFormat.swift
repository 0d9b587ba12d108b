public import Assay
import Foundation

/// Where an application's answer, retrieved context, token usage and cost are in its reply.
///
/// With no paths the reply follows ``ApplicationProtocol``: plain text, or a JSON object with `output`,
/// `context`, `usage` and `cost`. With paths the reply must be JSON:
///
/// ```swift
/// var format = ReplyFormat()
/// format.output = try ReplyPath("$.data.answer")
/// format.columns = [("context", try ReplyPath("$.data.documents[*].text"))]
/// ```
public struct ReplyFormat: Sendable {
    /// The answer's path; nil for the protocol's (plain text or `output`).
    public var output: ReplyPath?
    /// Further outputs that become columns of the row, by name: `context` for the documents the
    /// application used, or any other (`retrieved_ids`). With none, the protocol's `context`.
    public var columns: [(name: String, path: ReplyPath)] = []
    /// Where the prompt's token count is; nil for the protocol's `usage.prompt_tokens`.
    public var promptTokens: ReplyPath?
    /// Where the completion's token count is; nil for the protocol's `usage.completion_tokens`.
    public var completionTokens: ReplyPath?
    /// Where the call's cost in US dollars is; nil for the protocol's `cost`.
    public var cost: ReplyPath?

    public init() {}

    /// The names of the further outputs, as ``LanguageModel/outputColumns``.
    public var outputColumns: [String] {
        columns.isEmpty ? [ApplicationProtocol.contextKey] : columns.map(\.name)
    }

    /// What reading a reply gave.
    enum Reading {
        /// The answer and what came with it.
        case answer(ModelResponse)
        /// A reply broken in transit or not in the expected form (a truncated or non-JSON body): worth
        /// asking again.
        case malformed(String)
        /// A well-formed reply without an answer (an `error` member, nothing at the output path): the
        /// row's error.
        case failed(String)
    }

    /// Reads a reply body.
    func read(_ bytes: [UInt8]) -> Reading {
        let text = String(decoding: bytes, as: UTF8.self)
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let looksLikeJSON = trimmed.first == "{" || trimmed.first == "[" || trimmed.first == "\""
        var json: DataValue?
        if looksLikeJSON || output != nil {
            do {
                json = try DataValue(json: trimmed)
            } catch {
                return .malformed("the reply is not valid JSON (\(error.message)): \(Self.excerpt(trimmed))")
            }
        }
        guard let json else {
            // Plain text: the answer itself.
            guard !trimmed.isEmpty else { return .failed("the reply is empty") }
            return .answer(ModelResponse(output: .string(text.hasSuffix("\n") ? String(text.dropLast()) : text)))
        }
        let errorText = json.member(ApplicationProtocol.errorKey).map { $0.stringValue ?? $0.description }
        let answer: DataValue
        if let output {
            guard let found = output.value(in: json) else {
                if let errorText { return .failed("the application answered with an error: \(errorText)") }
                return .failed("the reply has nothing at \(output) (it is \(ReplyPath.outline(json)))")
            }
            answer = found
        } else if case .string = json {
            answer = json
        } else if let found = json.member(ApplicationProtocol.outputKey) {
            answer = found
        } else {
            if let errorText { return .failed("the application answered with an error: \(errorText)") }
            return .failed(
                "the reply is JSON (\(ReplyPath.outline(json))) without '\(ApplicationProtocol.outputKey)'; "
                    + "say where the answer is with an output path such as $.answer")
        }
        var response = ModelResponse(output: answer)
        if columns.isEmpty {
            if let context = json.member(ApplicationProtocol.contextKey) { response.otherOutputs[ApplicationProtocol.contextKey] = context }
        } else {
            for (name, path) in columns {
                if let value = path.value(in: json) { response.otherOutputs[name] = value }
            }
        }
        let prompt = Self.count(promptTokens.map { $0.value(in: json) } ?? json.member("usage")?.member("prompt_tokens"))
        let completion = Self.count(
            completionTokens.map { $0.value(in: json) } ?? json.member("usage")?.member("completion_tokens"))
        if prompt != nil || completion != nil {
            response.usage = TokenUsage(promptTokens: prompt ?? 0, completionTokens: completion ?? 0)
        }
        if let cost = (cost.map { $0.value(in: json) } ?? json.member("cost"))?.doubleValue, cost.isFinite, cost >= 0 {
            response.cost = cost
        }
        return .answer(response)
    }

    private static func count(_ value: DataValue??) -> Int? {
        guard let value = value ?? nil, let number = value.doubleValue, number.isFinite, number >= 0, number < 1e12 else {
            return nil
        }
        return Int(number)
    }

    static func excerpt(_ text: String) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        return flat.count > 120 ? String(flat.prefix(120)) + "…" : flat
    }
}
