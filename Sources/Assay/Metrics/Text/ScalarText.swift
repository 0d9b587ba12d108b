/// Text read by position as Unicode scalar values, the way the readability rules walk it.
protocol ScalarText {
    /// The number of scalars.
    var count: Int { get }
    /// The value of the scalar at `i`.
    subscript(_ i: Int) -> UInt32 { get }
    /// Whether the scalar at `i` is `re`'s `\w`.
    func isWord(_ i: Int) -> Bool
}

/// ASCII text read in place from its UTF-8 bytes: one byte is one scalar.
struct ASCIIText: ScalarText {
    let bytes: UnsafeBufferPointer<UInt8>

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    var count: Int { bytes.count }

    @inline(__always)
    subscript(_ i: Int) -> UInt32 { UInt32(bytes[i]) }

    @inline(__always)
    func isWord(_ i: Int) -> Bool {
        let v = bytes[i]
        return (v >= 0x30 && v <= 0x39) || (v | 0x20 >= 0x61 && v | 0x20 <= 0x7A) || v == 0x5F
    }

    /// Whether every byte is below 0x80, eight at a time.
    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        var i = 0
        var high: UInt64 = 0
        while i + 8 <= bytes.count {
            high |= UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
            i += 8
        }
        while i < bytes.count {
            high |= UInt64(base[i])
            i += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }
}

/// Text of any scalars, decoded into a buffer.
struct ScalarArrayText: ScalarText {
    let scalars: UnsafeBufferPointer<Unicode.Scalar>

    init(_ scalars: UnsafeBufferPointer<Unicode.Scalar>) { self.scalars = scalars }

    var count: Int { scalars.count }

    @inline(__always)
    subscript(_ i: Int) -> UInt32 { scalars[i].value }

    @inline(__always)
    func isWord(_ i: Int) -> Bool { PythonText.isWord(scalars[i]) }
}
