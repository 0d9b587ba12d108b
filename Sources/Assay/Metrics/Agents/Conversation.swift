/// One tool call: the tool's name and the arguments it was called with.
public struct ToolCall: Sendable, Hashable {
    /// The tool's name.
    public var name: String
    /// The arguments, as a JSON object (empty when the call has none).
    public var arguments: [String: DataValue]

    public init(name: String, arguments: [String: DataValue] = [:]) {
        self.name = name
        self.arguments = arguments
    }

    /// Reads a call in any of the usual shapes: `{"name", "arguments"}` (an object or a JSON string),
    /// LangChain's and Ragas's `{"name", "args"}`, or OpenAI's `{"type": "function", "function":
    /// {"name", "arguments": "<JSON>"}}`. `place` names where the call is, for the error.
    public init(_ value: DataValue, place: String) throws(AssayError) {
        guard case .object(var fields) = value else {
            throw .invalidInput("\(place): a tool call must be an object with a 'name', found \(value.kindName)")
        }
        if case .object(let function)? = fields["function"] { fields = function }
        guard let name = fields["name"]?.stringValue, !name.isEmpty else {
            throw .invalidInput("\(place): a tool call needs a 'name' (a string)")
        }
        self.name = name
        switch fields["arguments"] ?? fields["args"] ?? .null {
        case .null: arguments = [:]
        case .object(let members): arguments = members
        case .string(let text):
            let parsed: DataValue
            do {
                parsed = try DataValue(json: text.isEmpty ? "{}" : text)
            } catch {
                throw .invalidInput("\(place): the arguments of \(name) are not JSON: \(error.message)")
            }
            guard case .object(let members) = parsed else {
                throw .invalidInput("\(place): the arguments of \(name) must be a JSON object, found \(parsed.kindName)")
            }
            arguments = members
        case let other:
            throw .invalidInput("\(place): the arguments of \(name) must be an object, found \(other.kindName)")
        }
    }
}

/// A conversation as a row holds it: messages with roles, the assistant's tool calls and the tools'
/// results.
///
/// ```json
/// [{"role": "user", "content": "Weather in Paris?"},
///  {"role": "assistant", "content": "", "tool_calls": [{"name": "weather", "arguments": {"city": "Paris"}}]},
///  {"role": "tool", "name": "weather", "content": "18 °C, cloudy"},
///  {"role": "assistant", "content": "It is 18 °C and cloudy in Paris."}]
/// ```
public struct Conversation: Sendable, Hashable {
    /// One message.
    public struct Message: Sendable, Hashable {
        /// `system`, `user`, `assistant` or `tool` (LangChain's `human` and `ai` are read as user and assistant).
        public var role: String
        /// The text.
        public var content: String
        /// The tool calls an assistant message makes.
        public var toolCalls: [ToolCall]
        /// For a tool message: whether the tool failed (`"is_error": true`, `"status": "error"` or an `error` member).
        public var isToolError: Bool
    }

    /// The messages in order.
    public var messages: [Message]

    static let roles: Set = ["system", "user", "assistant", "tool"]

    /// Reads a list of messages (or an object with `messages`); errors name `place` and the message.
    public init(_ value: DataValue, place: String) throws(AssayError) {
        var value = value
        if case .object(let fields) = value, let messages = fields["messages"] { value = messages }
        value = try Self.listFromText(value, place: place)
        guard case .list(let items) = value else {
            throw .invalidInput("\(place): a conversation must be a list of messages ({role, content}), found \(value.kindName)")
        }
        var messages: [Message] = []
        messages.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            let at = "\(place), message \(i + 1)"
            guard case .object(let fields) = item else {
                throw .invalidInput("\(at): a message must be an object with 'role' and 'content', found \(item.kindName)")
            }
            guard var role = fields["role"]?.stringValue ?? fields["type"]?.stringValue else {
                throw .invalidInput("\(at): the message has no 'role'")
            }
            role = ["human": "user", "ai": "assistant"][role] ?? role
            guard Self.roles.contains(role) else {
                throw .invalidInput("\(at): the role '\(role)' is not one of system, user, assistant, tool")
            }
            let content: String
            switch fields["content"] ?? .null {
            case .null: content = ""
            case .string(let text): content = text
            case let other: content = other.description
            }
            var calls: [ToolCall] = []
            switch fields["tool_calls"] ?? .null {
            case .null: break
            case .list(let list):
                guard role == "assistant" else { throw .invalidInput("\(at): only an assistant message makes tool calls, not '\(role)'") }
                for (k, call) in list.enumerated() { calls.append(try ToolCall(call, place: "\(at), tool call \(k + 1)")) }
            case let other:
                throw .invalidInput("\(at): 'tool_calls' must be a list, found \(other.kindName)")
            }
            let failed =
                role == "tool"
                && (fields["is_error"] == .bool(true) || fields["status"]?.stringValue?.lowercased() == "error"
                    || !(fields["error"] ?? .null).isNull)
            messages.append(Message(role: role, content: content, toolCalls: calls, isToolError: failed))
        }
        self.messages = messages
    }

    /// The conversation as a judge reads it, a line (or more) per message:
    ///
    /// ```
    /// [user] Weather in Paris?
    /// [assistant calls] weather({"city":"Paris"})
    /// [tool result, failed] timeout
    /// [assistant] It is 18 °C and cloudy in Paris.
    /// ```
    public var transcript: String {
        var lines: [String] = []
        for message in messages {
            if !message.content.isEmpty || message.toolCalls.isEmpty {
                let label = message.role == "tool" ? (message.isToolError ? "tool result, failed" : "tool result") : message.role
                lines.append("[\(label)] \(message.content)")
            }
            if !message.toolCalls.isEmpty {
                let calls = message.toolCalls.map { "\($0.name)(\(DataValue.object($0.arguments).description))" }
                lines.append("[assistant calls] " + calls.joined(separator: "; "))
            }
        }
        return lines.joined(separator: "\n")
    }

    /// A value's text for a judge: a conversation as its transcript, anything else as its text.
    static func judgeText(_ value: DataValue) -> String {
        switch value {
        case .list(let items) where items.first.map({ if case .object(let m) = $0 { m["role"] != nil } else { false } }) ?? false:
            return (try? Conversation(value, place: "")).map(\.transcript) ?? value.text
        default:
            return value.text
        }
    }

    /// A list written as JSON text in a CSV cell (`"[{...}]"`) as the list; any other value as it is.
    static func listFromText(_ value: DataValue, place: String) throws(AssayError) -> DataValue {
        guard case .string(let text) = value, text.first == "[" else { return value }
        do {
            return try DataValue(json: text)
        } catch {
            throw .invalidInput("\(place): not valid JSON: \(error.message)")
        }
    }

    /// Every tool call the assistant made, in order.
    public var toolCalls: [ToolCall] { messages.flatMap(\.toolCalls) }

    /// The tool results that report a failure.
    public var toolErrorCount: Int { messages.count { $0.isToolError } }
}

/// What an agent was expected to do: tool calls with arguments, or only the tools' names.
struct ExpectedSteps {
    var calls: [ToolCall]
    /// Whether only names were given (a trajectory such as `["search", "calculator"]`): arguments are not compared.
    var namesOnly: Bool

    init(_ value: DataValue, place: String) throws(AssayError) {
        let value = try Conversation.listFromText(value, place: place)
        guard case .list(let items) = value else {
            throw .invalidInput("\(place): expected a list of tool calls or tool names, found \(value.kindName)")
        }
        var calls: [ToolCall] = []
        var names = 0
        for (i, item) in items.enumerated() {
            if case .string(let name) = item {
                calls.append(ToolCall(name: name))
                names += 1
            } else {
                calls.append(try ToolCall(item, place: "\(place), step \(i + 1)"))
            }
        }
        guard names == 0 || names == items.count else {
            throw .invalidInput("\(place): give every step as a tool name or every step as a call, not a mix")
        }
        self.calls = calls
        namesOnly = names > 0
    }
}
