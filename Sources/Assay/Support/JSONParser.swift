/// A strict JSON parser over UTF-8 bytes that keeps the key order of objects and reports where it failed.
///
/// Foundation's `JSONSerialization` loses key order (which becomes column order) and says little about
/// where a document is broken; dataset loading needs both, and it parses millions of small documents.
struct JSONParser {
    /// A syntax error at a byte offset of the parsed text.
    struct SyntaxError: Error {
        var message: String
        var offset: Int
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    /// Whether a number past Double's range (`1e999`, a 5,000-digit integer) is an error rather than an
    /// infinity. Datasets want the error: a value the file does not hold must not appear silently.
    private let rejectsOverflow: Bool

    private init(bytes: UnsafeBufferPointer<UInt8>, rejectsOverflow: Bool = false) {
        self.bytes = bytes
        self.rejectsOverflow = rejectsOverflow
    }

    /// Parses one JSON document that must be an object, returning its members in document order; a
    /// number past Double's range is an error (this reads dataset rows).
    static func parseObject(_ bytes: UnsafeBufferPointer<UInt8>) throws(SyntaxError) -> [(String, DataValue)] {
        var parser = JSONParser(bytes: bytes, rejectsOverflow: true)
        parser.skipWhitespace()
        guard parser.peek() == UInt8(ascii: "{") else {
            throw SyntaxError(message: "expected a JSON object", offset: parser.index)
        }
        let members = try parser.parseMembers()
        try parser.expectEnd()
        return members
    }

    /// Parses one JSON document of any kind.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(SyntaxError) -> DataValue {
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        try parser.expectEnd()
        return value
    }

    /// Parses a JSON document held in a string.
    static func parse(_ text: String) throws(SyntaxError) -> DataValue {
        var text = text
        let result: Result<DataValue, SyntaxError> = text.withUTF8 { buffer in
            Result { () throws(SyntaxError) in try parse(buffer) }
        }
        return try result.get()
    }

    // MARK: - Array streaming

    /// A reader of the elements of a top-level JSON array, one at a time, for arrays of row objects (a
    /// number past Double's range is an error).
    struct ArrayCursor {
        private var parser: JSONParser
        private var first = true

        init(bytes: UnsafeBufferPointer<UInt8>) throws(SyntaxError) {
            parser = JSONParser(bytes: bytes, rejectsOverflow: true)
            parser.skipWhitespace()
            guard parser.peek() == UInt8(ascii: "[") else {
                throw SyntaxError(message: "expected a JSON array of objects", offset: parser.index)
            }
            parser.index += 1
        }

        /// The byte offset after the last element read.
        var offset: Int { parser.index }

        /// Continues after an element that an earlier cursor over the same bytes read.
        mutating func skip(to offset: Int) {
            parser.index = offset
            first = false
        }

        /// The next element's members, or nil after the closing bracket.
        mutating func nextObject() throws(SyntaxError) -> [(String, DataValue)]? {
            parser.skipWhitespace()
            if parser.peek() == UInt8(ascii: "]") {
                parser.index += 1
                try parser.expectEnd()
                return nil
            }
            if !first {
                try parser.expect(UInt8(ascii: ","))
                parser.skipWhitespace()
            }
            first = false
            guard parser.peek() == UInt8(ascii: "{") else {
                throw SyntaxError(message: "expected an object as array element", offset: parser.index)
            }
            return try parser.parseMembers()
        }
    }

    // MARK: - Grammar

    private static let maxDepth = 512

    private func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func expect(_ byte: UInt8) throws(SyntaxError) {
        guard peek() == byte else {
            let found = peek().map { "'\(Character(Unicode.Scalar($0)))'" } ?? "the end"
            throw SyntaxError(message: "expected '\(Character(Unicode.Scalar(byte)))' but found \(found)", offset: index)
        }
        index += 1
    }

    private mutating func expectEnd() throws(SyntaxError) {
        skipWhitespace()
        if index != bytes.count {
            throw SyntaxError(message: "unexpected text after the JSON value", offset: index)
        }
    }

    private mutating func parseValue(depth: Int) throws(SyntaxError) -> DataValue {
        guard depth < Self.maxDepth else { throw SyntaxError(message: "nesting is too deep", offset: index) }
        guard let byte = peek() else { throw SyntaxError(message: "unexpected end of JSON", offset: index) }
        switch byte {
        case UInt8(ascii: "{"):
            var object: [String: DataValue] = [:]
            for (key, value) in try parseMembers(depth: depth + 1) { object[key] = value }
            return .object(object)
        case UInt8(ascii: "["):
            index += 1
            var elements: [DataValue] = []
            skipWhitespace()
            if peek() == UInt8(ascii: "]") {
                index += 1
                return .list(elements)
            }
            while true {
                skipWhitespace()
                elements.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                if peek() == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(UInt8(ascii: "]"))
                return .list(elements)
            }
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"):
            try parseLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try parseLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try parseLiteral("null")
            return .null
        case UInt8(ascii: "N"):
            // Python's json module writes NaN for float('nan'); datasets exported from pandas contain it.
            try parseLiteral("NaN")
            return .double(.nan)
        case UInt8(ascii: "I"):
            try parseLiteral("Infinity")
            return .double(.infinity)
        case UInt8(ascii: "-") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "I"):
            index += 1
            try parseLiteral("Infinity")
            return .double(-.infinity)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try parseNumber()
        default:
            throw SyntaxError(message: "unexpected character '\(Character(Unicode.Scalar(byte)))'", offset: index)
        }
    }

    private mutating func parseMembers(depth: Int = 0) throws(SyntaxError) -> [(String, DataValue)] {
        try expect(UInt8(ascii: "{"))
        var members: [(String, DataValue)] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return members
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else {
                throw SyntaxError(message: "expected a quoted key", offset: index)
            }
            let key = try parseString()
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            members.append((key, try parseValue(depth: depth + 1)))
            skipWhitespace()
            if peek() == UInt8(ascii: ",") {
                index += 1
                continue
            }
            try expect(UInt8(ascii: "}"))
            return members
        }
    }

    private mutating func parseLiteral(_ word: StaticString) throws(SyntaxError) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else {
            throw SyntaxError(message: "unexpected end of JSON", offset: index)
        }
        let start = word.utf8Start
        for k in 0..<count where bytes[index + k] != start[k] {
            throw SyntaxError(message: "invalid literal", offset: index)
        }
        index += count
    }

    private mutating func parseNumber() throws(SyntaxError) -> DataValue {
        let start = index
        var isInteger = true
        if peek() == UInt8(ascii: "-") { index += 1 }
        var digits = 0
        while let b = peek(), b >= 0x30, b <= 0x39 {
            index += 1
            digits += 1
        }
        guard digits > 0 else { throw SyntaxError(message: "invalid number", offset: start) }
        if peek() == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            var fraction = 0
            while let b = peek(), b >= 0x30, b <= 0x39 {
                index += 1
                fraction += 1
            }
            guard fraction > 0 else { throw SyntaxError(message: "invalid number", offset: start) }
        }
        if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if let s = peek(), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { index += 1 }
            var exponent = 0
            while let b = peek(), b >= 0x30, b <= 0x39 {
                index += 1
                exponent += 1
            }
            guard exponent > 0 else { throw SyntaxError(message: "invalid number", offset: start) }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if isInteger, let value = Int(text) { return .int(value) }
        guard let value = Double(text) else { throw SyntaxError(message: "invalid number", offset: start) }
        if rejectsOverflow, !value.isFinite {
            let shown = text.count > 40 ? "\(text.prefix(20))…(\(text.count) characters)" : text
            throw SyntaxError(message: "the number \(shown) is out of range (a double holds up to about 1.8e308)", offset: start)
        }
        return .double(value)
    }

    private mutating func parseString() throws(SyntaxError) -> String {
        let quote = index
        index += 1
        let start = index
        // Fast path: no escapes, so the bytes are the string.
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
                index += 1
                guard let s = String(validating: slice, as: UTF8.self) else {
                    throw SyntaxError(message: "invalid UTF-8 in string", offset: start)
                }
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw SyntaxError(message: "control character in string", offset: index) }
            index += 1
        }
        var scratch = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let b = bytes[index]
            switch b {
            case UInt8(ascii: "\""):
                index += 1
                guard let s = String(validating: scratch, as: UTF8.self) else {
                    throw SyntaxError(message: "invalid UTF-8 in string", offset: start)
                }
                return s
            case UInt8(ascii: "\\"):
                index += 1
                guard let e = peek() else { break }
                index += 1
                switch e {
                case UInt8(ascii: "\""): scratch.append(0x22)
                case UInt8(ascii: "\\"): scratch.append(0x5C)
                case UInt8(ascii: "/"): scratch.append(0x2F)
                case UInt8(ascii: "b"): scratch.append(0x08)
                case UInt8(ascii: "f"): scratch.append(0x0C)
                case UInt8(ascii: "n"): scratch.append(0x0A)
                case UInt8(ascii: "r"): scratch.append(0x0D)
                case UInt8(ascii: "t"): scratch.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try parseHex4()
                    if (0xD800..<0xDC00).contains(code), peek() == UInt8(ascii: "\\"),
                        index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u")
                    {
                        let save = index
                        index += 2
                        let low = try parseHex4()
                        if (0xDC00..<0xE000).contains(low) {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            index = save
                        }
                    }
                    // A lone surrogate cannot be represented in a Swift string; use the replacement character.
                    let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                    scratch.append(contentsOf: String(scalar).utf8)
                default:
                    throw SyntaxError(message: "invalid escape sequence", offset: index - 2)
                }
            default:
                if b < 0x20 { throw SyntaxError(message: "control character in string", offset: index) }
                scratch.append(b)
                index += 1
            }
        }
        throw SyntaxError(message: "unterminated string", offset: quote)
    }

    private mutating func parseHex4() throws(SyntaxError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw SyntaxError(message: "invalid \\u escape", offset: index) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            let digit: UInt32
            switch b {
            case 0x30...0x39: digit = UInt32(b - 0x30)
            case 0x41...0x46: digit = UInt32(b - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(b - 0x61 + 10)
            default: throw SyntaxError(message: "invalid \\u escape", offset: index)
            }
            value = value * 16 + digit
            index += 1
        }
        return value
    }
}
