import Foundation

/// A fixed table from byte strings (words, BPE tokens) to numbers, with open addressing and an FNV-1a
/// hash: a look-up hashes the bytes once and allocates nothing. Swift's `Dictionary` hashes with
/// SipHash against crafted keys; these keys are fixed when the table is made, so no input can
/// lengthen a probe beyond what the table already holds.
struct ByteKeyTable: Sendable {
    private let keys: [UInt8]
    private let starts: [Int32]
    private let lengths: [UInt16]
    private let values: [Int32]
    /// Entry index + 1 per slot; 0 is empty.
    private let slots: [Int32]
    private let mask: Int

    /// The table of `entries`; a repeated key keeps its first value.
    init(_ entries: [(key: ArraySlice<UInt8>, value: Int32)]) {
        var size = 16
        while size < entries.count * 2 { size *= 2 }
        var keys: [UInt8] = []
        var starts: [Int32] = []
        var lengths: [UInt16] = []
        var values: [Int32] = []
        var slots = [Int32](repeating: 0, count: size)
        let mask = size - 1
        for (key, value) in entries where key.count <= Int(UInt16.max) {
            var slot = Int(truncatingIfNeeded: key.withUnsafeBufferPointer(Self.hash)) & mask
            var duplicate = false
            while slots[slot] != 0 {
                let entry = Int(slots[slot] - 1)
                if Int(lengths[entry]) == key.count, keys[Int(starts[entry])..<Int(starts[entry]) + key.count].elementsEqual(key) {
                    duplicate = true
                    break
                }
                slot = (slot + 1) & mask
            }
            if duplicate { continue }
            slots[slot] = Int32(values.count + 1)
            starts.append(Int32(keys.count))
            lengths.append(UInt16(key.count))
            values.append(value)
            keys.append(contentsOf: key)
        }
        self.keys = keys
        self.starts = starts
        self.lengths = lengths
        self.values = values
        self.slots = slots
        self.mask = mask
    }

    func value(_ word: UnsafeBufferPointer<UInt8>) -> Int32? {
        var slot = Int(truncatingIfNeeded: Self.hash(word)) & mask
        return keys.withUnsafeBufferPointer { keys in
            while true {
                let stored = Int(slots[slot])
                if stored == 0 { return nil }
                let entry = stored - 1
                if Int(lengths[entry]) == word.count {
                    let start = Int(starts[entry])
                    if word.count == 0 || memcmp(keys.baseAddress! + start, word.baseAddress!, word.count) == 0 { return values[entry] }
                }
                slot = (slot + 1) & mask
            }
        }
    }

    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        // FNV's low bits mix poorly: fold the high half in.
        return h ^ (h >> 29)
    }
}
