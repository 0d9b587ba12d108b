public import Assay
import Foundation

/// Where a value is in a JSON reply, written as a JSONPath subset: `$.data.answer`, `$.documents[0]`,
/// `$.documents[*].text` (every element's `text`, as a list), `$['key with spaces']`. The leading
/// `$.` may be left out (`data.answer`).
///
/// ```swift
/// let path = try ReplyPath("$.documents[*].id")
/// path.value(in: reply)   // .list([.string("doc-1"), .string("doc-7")])
/// ```
public struct ReplyPath: Sendable, Hashable, CustomStringConvertible {
    enum Step: Sendable, Hashable {
        case key(String)
        case index(Int)
        case every
    }

    /// The path as written.
    public let description: String
    let steps: [Step]

    /// Parses a path; the error names the offset that is wrong.
    public init(_ text: String) throws(AssayError) {
        description = text
        var source = Substring(text.trimmingCharacters(in: .whitespaces))
        if source.hasPrefix("$") {
            source = source.dropFirst()
        } else if !source.isEmpty, source.first != "[" {
            source = "." + source
        }
        var steps: [Step] = []
        func fail(_ reason: String) -> AssayError {
            .invalidInput("the reply path '\(text)' \(reason); write it like $.data.answer or $.documents[*].text")
        }
        while let first = source.first {
            if first == "." {
                source = source.dropFirst()
                if source.first == "*" {
                    source = source.dropFirst()
                    steps.append(.every)
                    continue
                }
                let name = source.prefix { $0 != "." && $0 != "[" }
                guard !name.isEmpty else { throw fail("has an empty name after '.'") }
                steps.append(.key(String(name)))
                source = source.dropFirst(name.count)
            } else if first == "[" {
                source = source.dropFirst()
                if let quote = source.first, quote == "'" || quote == "\"" {
                    source = source.dropFirst()
                    guard let end = source.firstIndex(of: quote) else { throw fail("has an unclosed quote") }
                    steps.append(.key(String(source[..<end])))
                    source = source[source.index(after: end)...]
                } else {
                    let inside = source.prefix { $0 != "]" }
                    if inside == "*" {
                        steps.append(.every)
                    } else if let index = Int(inside.trimmingCharacters(in: .whitespaces)) {
                        steps.append(.index(index))
                    } else {
                        throw fail("has '[\(inside)]', which is neither a number, * nor a quoted name")
                    }
                    source = source.dropFirst(inside.count)
                }
                guard source.first == "]" else { throw fail("has an unclosed '['") }
                source = source.dropFirst()
            } else {
                throw fail("has '\(first)' where '.' or '[' should be")
            }
        }
        self.steps = steps
    }

    /// The value at this path, or nil when the reply has nothing there. After `[*]` the rest of the
    /// path is taken in every element, and the elements that have it make a list.
    public func value(in root: DataValue) -> DataValue? {
        Self.walk(root, steps[...])
    }

    private static func walk(_ value: DataValue, _ steps: ArraySlice<Step>) -> DataValue? {
        guard let step = steps.first else { return value }
        let rest = steps.dropFirst()
        switch step {
        case .key(let name):
            guard case .object(let members) = value, let member = members[name] else { return nil }
            return walk(member, rest)
        case .index(let index):
            guard case .list(let elements) = value else { return nil }
            let position = index < 0 ? elements.count + index : index
            guard elements.indices.contains(position) else { return nil }
            return walk(elements[position], rest)
        case .every:
            switch value {
            case .list(let elements): return .list(elements.compactMap { walk($0, rest) })
            case .object(let members): return .list(members.keys.sorted().compactMap { walk(members[$0]!, rest) })
            default: return nil
            }
        }
    }

    /// What a reply has, for an error message when a path finds nothing: its top-level keys, or its kind.
    static func outline(_ value: DataValue) -> String {
        if case .object(let members) = value {
            return members.isEmpty ? "an empty object" : "an object with keys " + members.keys.sorted().joined(separator: ", ")
        }
        return value.kindName
    }
}
