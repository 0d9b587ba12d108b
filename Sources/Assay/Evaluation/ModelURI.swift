import Foundation

/// Where a model lives, written as MLflow writes it: `provider:/model`.
///
/// ```swift
/// let uri = try ModelURI("openai:/gpt-4o-mini")
/// uri.provider   // .openai
/// uri.model      // "gpt-4o-mini"
/// ```
public struct ModelURI: Sendable, Hashable, CustomStringConvertible {
    /// The services Assay can call.
    public enum Provider: String, Sendable, CaseIterable {
        /// OpenAI, or any OpenAI-compatible server (vLLM, llama.cpp, LM Studio) through a base URL.
        case openai
        /// Azure OpenAI: the model part is the deployment name.
        case azure
        /// Anthropic's Messages API.
        case anthropic
        /// A local Ollama server.
        case ollama
        /// An AI gateway's endpoint (MLflow's `/endpoints/NAME/invocations` convention).
        case endpoints
    }

    /// The provider.
    public var provider: Provider
    /// The model, deployment or endpoint name.
    public var model: String

    /// Parses `provider:/model`; an unknown provider or an empty model is an error naming the choices.
    public init(_ text: String) throws(AssayError) {
        guard let separator = text.range(of: ":/") else {
            throw .invalidInput(
                "model URI '\(text)' must look like provider:/model, e.g. openai:/gpt-4o-mini; providers: "
                    + Provider.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let scheme = String(text[..<separator.lowerBound])
        let model = String(text[separator.upperBound...]).trimmingPrefix("/")
        guard let provider = Provider(rawValue: scheme) else {
            throw .invalidInput(
                "unknown model provider '\(scheme)' in '\(text)'; known providers: "
                    + Provider.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard !model.isEmpty else { throw .invalidInput("model URI '\(text)' names no model after '\(scheme):/'") }
        self.provider = provider
        self.model = String(model)
    }

    /// A URI from its parts.
    public init(provider: Provider, model: String) {
        self.provider = provider
        self.model = model
    }

    public var description: String { "\(provider.rawValue):/\(model)" }
}

/// One chat message: a role (`system`, `user`, `assistant`) and its text.
public struct ChatMessage: Sendable, Hashable {
    /// `system`, `user` or `assistant`.
    public var role: String
    /// The text.
    public var content: String

    /// Creates a message.
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// Text with `{column}` placeholders filled from a dataset row; `{{` and `}}` stand for literal braces.
///
/// ```swift
/// let template = try PromptTemplate("Answer in two sentences: {question}")
/// try template.render(row)   // "Answer in two sentences: What is MLflow?"
/// ```
public struct PromptTemplate: Sendable, Hashable {
    enum Part: Sendable, Hashable {
        case text(String)
        case placeholder(String)
    }

    /// The template as written.
    public let source: String
    let parts: [Part]

    /// Parses a template; an unclosed `{` is an error.
    public init(_ source: String) throws(AssayError) {
        self.source = source
        var parts: [Part] = []
        var text = ""
        var i = source.startIndex
        while i < source.endIndex {
            let c = source[i]
            let next = source.index(after: i)
            if c == "{", next < source.endIndex, source[next] == "{" {
                text.append("{")
                i = source.index(after: next)
            } else if c == "}", next < source.endIndex, source[next] == "}" {
                text.append("}")
                i = source.index(after: next)
            } else if c == "{" {
                guard let close = source[next...].firstIndex(of: "}") else {
                    throw .invalidInput("prompt template has an unclosed '{': \(source)")
                }
                let name = String(source[next..<close]).trimmingCharacters(in: .whitespaces)
                guard !name.isEmpty else { throw .invalidInput("prompt template has an empty placeholder '{}': \(source)") }
                if !text.isEmpty { parts.append(.text(text)) }
                text = ""
                parts.append(.placeholder(name))
                i = source.index(after: close)
            } else {
                text.append(c)
                i = next
            }
        }
        if !text.isEmpty { parts.append(.text(text)) }
        self.parts = parts
    }

    /// The columns the template reads.
    public var placeholders: [String] {
        parts.compactMap { if case .placeholder(let name) = $0 { name } else { nil } }
    }

    /// Checks that every placeholder names one of `columns`.
    public func validate(columns: [String]) throws(AssayError) {
        for name in placeholders where !columns.contains(name) {
            throw .invalidInput(
                "prompt placeholder {\(name)} names no column; the dataset's columns are: "
                    + columns.map { "'\($0)'" }.joined(separator: ", "))
        }
    }

    /// The text with placeholders filled from `row` (cells as text: strings as they are, others as JSON).
    public func render(_ row: DataRow) throws(AssayError) -> String {
        try render(row) { $0.text }
    }

    /// The text with each placeholder replaced by `encode` of its cell, such as a percent-encoding for
    /// a URL's query.
    public func render(_ row: DataRow, encode: (DataValue) -> String) throws(AssayError) -> String {
        var out = ""
        for part in parts {
            switch part {
            case .text(let text): out += text
            case .placeholder(let name):
                guard row.columns.contains(name) else {
                    throw .invalidInput("\(row.location): prompt placeholder {\(name)} names no column of this row")
                }
                out += encode(row[name])
            }
        }
        return out
    }

    /// The column, when the whole template is one placeholder (`"{question}"`): a JSON body template
    /// then sends the cell with its own type (a number stays a number, a list a list).
    public var wholePlaceholder: String? {
        if parts.count == 1, case .placeholder(let name) = parts[0] { return name }
        return nil
    }
}
