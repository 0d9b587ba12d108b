import Assay

/// A parsed GraphQL request document: its operations and fragments, as far as the executor needs them
/// (fields, aliases, arguments, fragment spreads; directives and variable types are read and ignored).
///
/// ```swift
/// let document = try GraphQLDocument(parsing: #"query q { mlflowGetRun(input: {runId: "abc"}) { run { info { status } } } }"#)
/// document.operations.first?.selections.first?.name  // "mlflowGetRun"
/// ```
struct GraphQLDocument: Sendable {
    struct Operation: Sendable {
        var kind: String
        var name: String?
        var variableDefaults: [String: DataValue]
        var selections: [Selection]
    }

    /// A field selected (with its alias, arguments and own selections), or a fragment's selections spread in.
    enum Selection: Sendable {
        case field(Field)
        case fragment(name: String)
        case inline([Selection])

        var name: String? {
            if case .field(let field) = self { return field.name }
            return nil
        }
    }

    struct Field: Sendable {
        var alias: String?
        var name: String
        var arguments: [String: Value]
        var selections: [Selection]

        var responseKey: String { alias ?? name }
    }

    /// An argument as written: variables are looked up when the operation runs.
    indirect enum Value: Sendable {
        case variable(String)
        case constant(DataValue)
        case list([Value])
        case object([String: Value])

        func resolved(_ variables: [String: DataValue]) -> DataValue {
            switch self {
            case .variable(let name): return variables[name] ?? .null
            case .constant(let value): return value
            case .list(let items): return .list(items.map { $0.resolved(variables) })
            case .object(let members): return .object(members.mapValues { $0.resolved(variables) })
            }
        }
    }

    var operations: [Operation] = []
    var fragments: [String: [Selection]] = [:]

    init(parsing text: String) throws(GraphQLError) {
        var parser = Parser(tokens: try Lexer.tokens(of: text))
        while !parser.atEnd {
            if parser.peek == .name("fragment") {
                parser.advance()
                let name = try parser.name()
                guard parser.take(.name("on")) else { throw parser.unexpected("'on'") }
                _ = try parser.name()
                try parser.directives()
                fragments[name] = try parser.selectionSet()
            } else {
                operations.append(try parser.operation())
            }
        }
        guard !operations.isEmpty else { throw GraphQLError("The document holds no operation.") }
    }
}

/// A GraphQL request that cannot be parsed, validated or answered; its message goes into `errors`.
struct GraphQLError: Error, Sendable {
    let message: String

    init(_ message: String) {
        self.message = message
    }
}

// MARK: - Lexer

private enum Token: Equatable, Sendable {
    case punctuator(Character)
    case spread
    case name(String)
    case int(String)
    case float(String)
    case string(String)

    var description: String {
        switch self {
        case .punctuator(let c): return "'\(c)'"
        case .spread: return "'...'"
        case .name(let n): return "'\(n)'"
        case .int(let n), .float(let n): return n
        case .string(let s): return "\"\(s.prefix(40))\""
        }
    }
}

private enum Lexer {
    static func tokens(of text: String) throws(GraphQLError) -> [Token] {
        let bytes = Array(text.utf8)
        var tokens: [Token] = []
        var i = 0
        func isNameStart(_ b: UInt8) -> Bool { b == 0x5F || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) }
        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case 0x20, 0x09, 0x0A, 0x0D, 0x2C, 0xEF, 0xBB, 0xBF:  // white space, commas, a byte-order mark
                i += 1
            case 0x23:  // a comment to the end of the line
                while i < bytes.count, bytes[i] != 0x0A, bytes[i] != 0x0D { i += 1 }
            case 0x2E:
                guard i + 2 < bytes.count, bytes[i + 1] == 0x2E, bytes[i + 2] == 0x2E else {
                    throw GraphQLError("Syntax Error: unexpected '.' at offset \(i).")
                }
                tokens.append(.spread)
                i += 3
            case _ where "!$&()=:@[]{}|".utf8.contains(b):
                tokens.append(.punctuator(Character(UnicodeScalar(b))))
                i += 1
            case _ where isNameStart(b):
                let start = i
                while i < bytes.count, isNameStart(bytes[i]) || isDigit(bytes[i]) { i += 1 }
                tokens.append(.name(String(decoding: bytes[start..<i], as: UTF8.self)))
            case _ where isDigit(b) || b == 0x2D:
                let start = i
                var float = false
                i += 1
                while i < bytes.count, isDigit(bytes[i]) || "eE.+-".utf8.contains(bytes[i]) {
                    if !isDigit(bytes[i]) { float = true }
                    i += 1
                }
                let literal = String(decoding: bytes[start..<i], as: UTF8.self)
                if float {
                    guard Double(literal) != nil else { throw GraphQLError("Syntax Error: invalid number \(literal).") }
                    tokens.append(.float(literal))
                } else {
                    guard Int64(literal) != nil else { throw GraphQLError("Syntax Error: invalid number \(literal).") }
                    tokens.append(.int(literal))
                }
            case 0x22:
                if i + 2 < bytes.count, bytes[i + 1] == 0x22, bytes[i + 2] == 0x22 {
                    tokens.append(.string(try blockString(bytes, &i)))
                } else {
                    tokens.append(.string(try string(bytes, &i)))
                }
            default:
                throw GraphQLError("Syntax Error: unexpected character at offset \(i).")
            }
        }
        return tokens
    }

    static func string(_ bytes: [UInt8], _ i: inout Int) throws(GraphQLError) -> String {
        var out: [UInt8] = []
        i += 1
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x22 {
                i += 1
                return String(decoding: out, as: UTF8.self)
            }
            if b == 0x0A || b == 0x0D { break }
            if b == 0x5C {
                guard i + 1 < bytes.count else { break }
                let e = bytes[i + 1]
                i += 2
                switch e {
                case 0x22, 0x5C, 0x2F: out.append(e)
                case 0x62: out.append(0x08)
                case 0x66: out.append(0x0C)
                case 0x6E: out.append(0x0A)
                case 0x72: out.append(0x0D)
                case 0x74: out.append(0x09)
                case 0x75:
                    guard i + 4 <= bytes.count, let code = UInt32(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16),
                        let scalar = UnicodeScalar(code)
                    else { throw GraphQLError("Syntax Error: invalid \\u escape in a string.") }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                    i += 4
                default: throw GraphQLError("Syntax Error: invalid escape in a string.")
                }
                continue
            }
            out.append(b)
            i += 1
        }
        throw GraphQLError("Syntax Error: unterminated string.")
    }

    static func blockString(_ bytes: [UInt8], _ i: inout Int) throws(GraphQLError) -> String {
        i += 3
        let start = i
        while i + 2 < bytes.count {
            if bytes[i] == 0x22, bytes[i + 1] == 0x22, bytes[i + 2] == 0x22 {
                let text = String(decoding: bytes[start..<i], as: UTF8.self)
                i += 3
                return text
            }
            i += 1
        }
        throw GraphQLError("Syntax Error: unterminated block string.")
    }
}

// MARK: - Parser

private struct Parser {
    let tokens: [Token]
    var position = 0
    /// Selection sets and values open: bounded, so that a hostile document cannot exhaust the stack.
    var nesting = 0
    static let maxNesting = 64

    init(tokens: [Token]) {
        self.tokens = tokens
    }

    var atEnd: Bool { position >= tokens.count }
    var peek: Token? { atEnd ? nil : tokens[position] }

    mutating func advance() { position += 1 }

    mutating func take(_ token: Token) -> Bool {
        guard peek == token else { return false }
        position += 1
        return true
    }

    func unexpected(_ expected: String) -> GraphQLError {
        GraphQLError("Syntax Error: expected \(expected), found \(peek?.description ?? "the end of the document").")
    }

    mutating func expect(_ c: Character) throws(GraphQLError) {
        guard take(.punctuator(c)) else { throw unexpected("'\(c)'") }
    }

    mutating func name() throws(GraphQLError) -> String {
        guard case .name(let name)? = peek else { throw unexpected("a name") }
        advance()
        return name
    }

    mutating func operation() throws(GraphQLError) -> GraphQLDocument.Operation {
        if peek == .punctuator("{") {
            return GraphQLDocument.Operation(kind: "query", name: nil, variableDefaults: [:], selections: try selectionSet())
        }
        let kind = try name()
        guard ["query", "mutation", "subscription"].contains(kind) else { throw GraphQLError("Syntax Error: unexpected '\(kind)'.") }
        var operationName: String?
        if case .name(let n)? = peek {
            operationName = n
            advance()
        }
        var defaults: [String: DataValue] = [:]
        if take(.punctuator("(")) {
            while !take(.punctuator(")")) {
                try expect("$")
                let variable = try name()
                try expect(":")
                try type()
                if take(.punctuator("=")) { defaults[variable] = try value(constant: true).resolved([:]) }
                try directives()
            }
        }
        try directives()
        return GraphQLDocument.Operation(kind: kind, name: operationName, variableDefaults: defaults, selections: try selectionSet())
    }

    mutating func type() throws(GraphQLError) {
        if take(.punctuator("[")) {
            try type()
            try expect("]")
        } else {
            _ = try name()
        }
        _ = take(.punctuator("!"))
    }

    mutating func directives() throws(GraphQLError) {
        while take(.punctuator("@")) {
            _ = try name()
            if peek == .punctuator("(") { _ = try arguments() }
        }
    }

    mutating func arguments() throws(GraphQLError) -> [String: GraphQLDocument.Value] {
        try expect("(")
        var arguments: [String: GraphQLDocument.Value] = [:]
        while !take(.punctuator(")")) {
            let key = try name()
            try expect(":")
            arguments[key] = try value(constant: false)
        }
        return arguments
    }

    mutating func enter() throws(GraphQLError) {
        nesting += 1
        guard nesting <= Self.maxNesting else { throw GraphQLError("Query exceeds maximum depth of \(Self.maxNesting) nested braces.") }
    }

    mutating func selectionSet() throws(GraphQLError) -> [GraphQLDocument.Selection] {
        try expect("{")
        try enter()
        defer { nesting -= 1 }
        var selections: [GraphQLDocument.Selection] = []
        while !take(.punctuator("}")) {
            guard !atEnd else { throw unexpected("'}'") }
            if take(.spread) {
                if case .name(let n)? = peek, n != "on" {
                    advance()
                    try directives()
                    selections.append(.fragment(name: n))
                } else {
                    if take(.name("on")) { _ = try name() }
                    try directives()
                    selections.append(.inline(try selectionSet()))
                }
                continue
            }
            var fieldName = try name()
            var alias: String?
            if take(.punctuator(":")) {
                alias = fieldName
                fieldName = try name()
            }
            let arguments = peek == .punctuator("(") ? try self.arguments() : [:]
            try directives()
            let nested = peek == .punctuator("{") ? try selectionSet() : []
            selections.append(.field(GraphQLDocument.Field(alias: alias, name: fieldName, arguments: arguments, selections: nested)))
        }
        return selections
    }

    mutating func value(constant: Bool) throws(GraphQLError) -> GraphQLDocument.Value {
        guard let token = peek else { throw unexpected("a value") }
        advance()
        switch token {
        case .punctuator("$") where !constant:
            return .variable(try name())
        case .int(let literal):
            return .constant(.int(Int(literal) ?? 0))
        case .float(let literal):
            return .constant(.double(Double(literal) ?? 0))
        case .string(let text):
            return .constant(.string(text))
        case .name("true"): return .constant(.bool(true))
        case .name("false"): return .constant(.bool(false))
        case .name("null"): return .constant(.null)
        case .name(let enumValue): return .constant(.string(enumValue))
        case .punctuator("["):
            try enter()
            defer { nesting -= 1 }
            var items: [GraphQLDocument.Value] = []
            while !take(.punctuator("]")) {
                guard !atEnd else { throw unexpected("']'") }
                items.append(try value(constant: constant))
            }
            return .list(items)
        case .punctuator("{"):
            try enter()
            defer { nesting -= 1 }
            var members: [String: GraphQLDocument.Value] = [:]
            while !take(.punctuator("}")) {
                let key = try name()
                try expect(":")
                members[key] = try value(constant: constant)
            }
            return .object(members)
        default:
            position -= 1
            throw unexpected("a value")
        }
    }
}
