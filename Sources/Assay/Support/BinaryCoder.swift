/// A compact binary form of `DataValue`s for Assay's own temporary files, several times faster to write
/// and read than JSON text. Not a storage format: files written with it live only for one evaluation.
enum BinaryCoder {
    private enum Tag: UInt8 {
        case null = 0, `false`, `true`, int, double, string, list, object
    }

    static func encode(_ value: DataValue, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(Tag.null.rawValue)
        case .bool(let b): out.append(b ? Tag.true.rawValue : Tag.false.rawValue)
        case .int(let i):
            out.append(Tag.int.rawValue)
            append(UInt64(bitPattern: Int64(i)), to: &out)
        case .double(let d):
            out.append(Tag.double.rawValue)
            append(d.bitPattern, to: &out)
        case .string(let s):
            out.append(Tag.string.rawValue)
            encode(s, into: &out)
        case .list(let elements):
            out.append(Tag.list.rawValue)
            append(UInt64(elements.count), to: &out)
            for element in elements { encode(element, into: &out) }
        case .object(let members):
            out.append(Tag.object.rawValue)
            append(UInt64(members.count), to: &out)
            for (key, member) in members {
                encode(key, into: &out)
                encode(member, into: &out)
            }
        }
    }

    static func encode(_ string: String, into out: inout [UInt8]) {
        append(UInt64(string.utf8.count), to: &out)
        out.append(contentsOf: string.utf8)
    }

    static func append(_ value: UInt64, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    /// Reads values back from bytes written by `encode`.
    struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0

        mutating func word() -> UInt64 {
            var value: UInt64 = 0
            for k in 0..<8 { value |= UInt64(bytes[position + k]) << (8 * UInt64(k)) }
            position += 8
            return value
        }

        mutating func string() -> String {
            let count = Int(word())
            defer { position += count }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[position..<(position + count)]), as: UTF8.self)
        }

        mutating func value() -> DataValue {
            let tag = Tag(rawValue: bytes[position]) ?? .null
            position += 1
            switch tag {
            case .null: return .null
            case .false: return .bool(false)
            case .true: return .bool(true)
            case .int: return .int(Int(Int64(bitPattern: word())))
            case .double: return .double(Double(bitPattern: word()))
            case .string: return .string(string())
            case .list:
                let count = Int(word())
                var elements: [DataValue] = []
                elements.reserveCapacity(count)
                for _ in 0..<count { elements.append(value()) }
                return .list(elements)
            case .object:
                let count = Int(word())
                var members: [String: DataValue] = [:]
                for _ in 0..<count {
                    let key = string()
                    members[key] = value()
                }
                return .object(members)
            }
        }
    }
}
