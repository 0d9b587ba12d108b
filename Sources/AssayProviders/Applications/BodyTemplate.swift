public import Assay
import Foundation

/// A JSON request body with `{column}` placeholders in its strings, filled per row.
///
/// A string that is a single placeholder (`"{top_k}"`) becomes the cell with its own type (a number, a
/// list); any other string is text with the cells' text put in. The result is built as a value and
/// written as JSON afterwards, so quotes, backslashes, newlines and braces in a row's text arrive
/// unchanged and the body is always valid JSON.
///
/// ```swift
/// let body = try BodyTemplate(DataValue(json: #"{"question": "{inputs}", "top_k": 3}"#))
/// try body.render(row).description   // {"question":"What is MLflow?","top_k":3}
/// ```
public struct BodyTemplate: Sendable {
    indirect enum Node: Sendable {
        case text(PromptTemplate)
        case literal(DataValue)
        case list([Node])
        case object([(String, Node)])
    }

    /// The template as written.
    public let source: DataValue
    let root: Node

    /// A template from a JSON value whose strings may hold placeholders.
    public init(_ source: DataValue) throws(AssayError) {
        self.source = source
        root = try Self.node(source)
    }

    /// A template from JSON text, such as `{"question": "{inputs}"}` (the placeholders sit inside the
    /// JSON's strings, so the text is valid JSON as written).
    public init(json text: String) throws(AssayError) {
        let value: DataValue
        do {
            value = try DataValue(json: text)
        } catch {
            throw .invalidInput(
                "the body must be JSON with {column} placeholders inside its strings, such as {\"question\": \"{inputs}\"}: \(error.message)")
        }
        try self.init(value)
    }

    private static func node(_ value: DataValue) throws(AssayError) -> Node {
        switch value {
        case .string(let text): return .text(try PromptTemplate(text))
        case .list(let items):
            var nodes: [Node] = []
            for item in items { nodes.append(try node(item)) }
            return .list(nodes)
        case .object(let members):
            var nodes: [(String, Node)] = []
            for key in members.keys.sorted() { nodes.append((key, try node(members[key]!))) }
            return .object(nodes)
        default: return .literal(value)
        }
    }

    /// The columns the template reads.
    public var placeholders: [String] {
        var names: [String] = []
        func collect(_ node: Node) {
            switch node {
            case .text(let template): names += template.placeholders
            case .literal: break
            case .list(let nodes): nodes.forEach(collect)
            case .object(let members): members.forEach { collect($0.1) }
            }
        }
        collect(root)
        return names
    }

    /// The body for a row.
    public func render(_ row: DataRow) throws(AssayError) -> DataValue {
        try Self.render(root, row)
    }

    private static func render(_ node: Node, _ row: DataRow) throws(AssayError) -> DataValue {
        switch node {
        case .text(let template):
            if let column = template.wholePlaceholder {
                guard row.columns.contains(column) else {
                    throw .invalidInput("\(row.location): body placeholder {\(column)} names no column of this row")
                }
                return row[column]
            }
            return .string(try template.render(row))
        case .literal(let value): return value
        case .list(let nodes):
            var values: [DataValue] = []
            for node in nodes { values.append(try render(node, row)) }
            return .list(values)
        case .object(let members):
            var values: [String: DataValue] = [:]
            for (key, node) in members { values[key] = try render(node, row) }
            return .object(values)
        }
    }
}

/// `${NAME}` references to environment variables, for secrets that a spec names but never holds.
enum EnvironmentReferences {
    /// `text` with every `${NAME}` replaced by the variable's value; a variable that is not set is an
    /// error naming `field`.
    static func expand(_ text: String, field: String, environment: [String: String]) throws(AssayError) -> String {
        var out = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            out += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw .invalidInput("\(field) has an unclosed '${' in '\(text)'")
            }
            let name = String(rest[start.upperBound..<end])
            guard let value = environment[name] else {
                throw .invalidInput("\(field) uses ${\(name)}, which is not set in the environment")
            }
            out += value
            rest = rest[rest.index(after: end)...]
        }
        return out + rest
    }

    /// Whether a header or variable name suggests a secret (a key, token, password or cookie).
    static func looksSecret(_ name: String) -> Bool {
        let lower = name.lowercased()
        return ["authorization", "key", "token", "secret", "password", "cookie", "credential"].contains { lower.contains($0) }
    }

    /// What a spec file records in place of a secret given literally rather than as `${NAME}`.
    static let notRecorded = "[not recorded: give it again as ${NAME}]"

    /// The value as a spec file may keep it: as written when it names its secrets with `${NAME}` or
    /// is not secret, else the not-recorded marker.
    static func recordable(_ value: String, name: String) -> String {
        looksSecret(name) && !value.contains("${") ? notRecorded : value
    }
}
