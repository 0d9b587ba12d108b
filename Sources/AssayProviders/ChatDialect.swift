import Assay
import Foundation

/// Request bodies and reply parsing for each provider dialect.
extension ProviderEndpoint.Dialect {
    /// The JSON body for one chat call; `parameters` are the inference settings (temperature, ...).
    func body(model: String, messages: [ChatMessage], parameters: [String: DataValue]) -> DataValue {
        var object: [String: DataValue] = parameters
        let wire = messages.map { DataValue.object(["role": .string($0.role), "content": .string($0.content)]) }
        switch self {
        case .openAI:
            object["model"] = .string(model)
            object["messages"] = .list(wire)
        case .azure, .gateway:
            object["messages"] = .list(wire)
        case .anthropic:
            object["model"] = .string(model)
            let system = messages.filter { $0.role == "system" }.map(\.content).joined(separator: "\n\n")
            if !system.isEmpty { object["system"] = .string(system) }
            object["messages"] = .list(
                messages.filter { $0.role != "system" }.map {
                    .object(["role": .string($0.role), "content": .string($0.content)])
                })
            if object["max_tokens"] == nil { object["max_tokens"] = .int(1024) }
            if let stop = object.removeValue(forKey: "stop") {
                object["stop_sequences"] = stop.listValue.map(DataValue.list) ?? .list([stop])
            }
            object.removeValue(forKey: "seed")
            object.removeValue(forKey: "response_format")
        }
        return .object(object)
    }

    /// The JSON body for one call of a conversation with tools, in OpenAI's shape (messages with
    /// `tool_calls` and `tool` results, and the `tools` offered); nil for a dialect without it (Anthropic).
    func body(model: String, wire messages: [DataValue], tools: [DataValue], parameters: [String: DataValue]) -> DataValue? {
        var object: [String: DataValue] = parameters
        switch self {
        case .openAI: object["model"] = .string(model)
        case .azure, .gateway: break
        case .anthropic: return nil
        }
        object["messages"] = .list(messages)
        if !tools.isEmpty { object["tools"] = .list(tools) }
        return .object(object)
    }

    /// The tool calls of an OpenAI-shaped reply (`choices[0].message.tool_calls`), as sent.
    func toolCalls(_ body: [UInt8]) -> [DataValue] {
        guard self != .anthropic, let reply = try? DataValue(json: String(decoding: body, as: UTF8.self)),
            case .list(let choices)? = reply.member("choices"), let message = choices.first?.member("message"),
            case .list(let calls)? = message.member("tool_calls")
        else { return [] }
        return calls
    }

    /// The reply's text and token usage; nil when the body is not a reply of this dialect.
    func parse(_ body: [UInt8]) -> (text: String, usage: TokenUsage?)? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else { return nil }
        switch self {
        case .anthropic:
            guard let content = object["content"] as? [[String: Any]] else { return nil }
            let text = content.compactMap { $0["type"] as? String == "text" ? $0["text"] as? String : nil }.joined()
            let usage = (object["usage"] as? [String: Any]).flatMap { u -> TokenUsage? in
                guard let input = u["input_tokens"] as? Int, let output = u["output_tokens"] as? Int else { return nil }
                return TokenUsage(promptTokens: input, completionTokens: output)
            }
            return (text, usage)
        case .openAI, .azure, .gateway:
            guard let choices = object["choices"] as? [[String: Any]], let first = choices.first else { return nil }
            let text: String
            if let message = first["message"] as? [String: Any] {
                if let content = message["content"] as? String {
                    text = content
                } else if let parts = message["content"] as? [[String: Any]] {
                    text = parts.first?["text"] as? String ?? ""
                } else if message["content"] is NSNull || (message["content"] == nil && message["tool_calls"] != nil) {
                    text = ""
                } else {
                    return nil
                }
            } else if let completion = first["text"] as? String {
                text = completion
            } else {
                return nil
            }
            let usage = (object["usage"] as? [String: Any]).flatMap { u -> TokenUsage? in
                guard let prompt = u["prompt_tokens"] as? Int, let completion = u["completion_tokens"] as? Int else { return nil }
                return TokenUsage(promptTokens: prompt, completionTokens: completion)
            }
            return (text, usage)
        }
    }

    /// The provider's error message in a failed reply, for the row's error text.
    static func errorMessage(_ body: [UInt8]) -> String? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            let text = String(decoding: body.prefix(200), as: UTF8.self)
            return text.isEmpty ? nil : text
        }
        if let error = object["error"] as? [String: Any], let message = error["message"] as? String { return message }
        if let message = object["error"] as? String { return message }
        if let message = object["message"] as? String { return message }
        // FastAPI's and many web frameworks' error body.
        if let detail = object["detail"] as? String { return detail }
        return nil
    }
}
