import Foundation

/// A fixed table from byte strings (words, BPE tokens) to numbers, with open addressing and an FNV-1a
/// hash: a look-up hashes the bytes once and allocates nothing. Swift's `Dictionary` hashes with
/// SipHash against crafted keys; these keys are fixed when the table is made, so no input can
/// lengthen a probe beyond what the table already holds.
///
/// Each slot holds the entry's number and 32 bits of its key's hash, so a probe that passes another
/// key compares that tag and does not touch the entry or its bytes.
struct ByteKeyTable: Sendable {
    private struct Entry {
        var start: Int32
        var length: Int32
        var value: Int32
    }

    private var keys: [UInt8] = []
    private var entries: [Entry] = []
    /// Per slot: the hash's high 32 bits, then entry index + 1 in the low 32 bits; 0 is empty.
    private var slots: [UInt64]
    private let mask: Int

    /// An empty table sized for `expectedCount` keys of about `keyBytes` bytes in all; `insert` fills it.
    init(expectedCount: Int, keyBytes: Int = 0) {
        // At most two keys in three slots: short probes, and cl100k's 100,256 tokens in 2 MB of slots.
        var size = 16
        while size < expectedCount + expectedCount / 2 { size *= 2 }
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
        entries.reserveCapacity(expectedCount)
        keys.reserveCapacity(keyBytes)
    }

    /// The table of `entries`; a repeated key keeps its first value.
    init(_ entries: [(key: ArraySlice<UInt8>, value: Int32)]) {
        self.init(expectedCount: entries.count)
        for (key, value) in entries {
            key.withUnsafeBufferPointer { insert($0, value: value) }
        }
    }

    /// Adds `key` unless the table has it already (a repeated key keeps its first value) or the table
    /// is full (it holds at most two keys in three slots, so a full table would be a bug in the
    /// caller's count).
    mutating func insert(_ key: UnsafeBufferPointer<UInt8>, value: Int32) {
        let hash = Self.hash(key)
        guard entries.count * 3 < slots.count * 2 else { preconditionFailure("ByteKeyTable sized for fewer keys") }
        // One probe finds either the key (kept as it is) or the empty slot it goes in.
        let (slot, existing) = probe(key, hash: hash)
        if existing != nil { return }
        slots[slot] = (hash >> 32) << 32 | UInt64(entries.count + 1)
        entries.append(Entry(start: Int32(keys.count), length: Int32(key.count), value: value))
        keys.append(contentsOf: key)
    }

    /// The value of `word`, or nil.
    @inline(__always)
    func value(_ word: UnsafeBufferPointer<UInt8>) -> Int32? {
        find(word, hash: Self.hash(word))
    }

    /// The value of `word`, whose `hash(_:)` the caller has computed already.
    @inline(__always)
    func find(_ word: UnsafeBufferPointer<UInt8>, hash: UInt64) -> Int32? {
        probe(word, hash: hash).value
    }

    /// The slot that holds `word` and its value, or the empty slot where it would go and nil.
    private func probe(_ word: UnsafeBufferPointer<UInt8>, hash: UInt64) -> (slot: Int, value: Int32?) {
        var slot = Int(truncatingIfNeeded: hash) & mask
        let tag = hash >> 32
        return slots.withUnsafeBufferPointer { slots in
            entries.withUnsafeBufferPointer { entries in
                keys.withUnsafeBufferPointer { keys in
                    while true {
                        let stored = slots[slot]
                        if stored == 0 { return (slot, nil) }
                        if stored >> 32 == tag {
                            let entry = entries[Int(truncatingIfNeeded: stored & 0xFFFF_FFFF) - 1]
                            if Int(entry.length) == word.count
                                && (word.count == 0 || memcmp(keys.baseAddress! + Int(entry.start), word.baseAddress!, word.count) == 0)
                            {
                                return (slot, entry.value)
                            }
                        }
                        slot = (slot + 1) & mask
                    }
                }
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

/// A small direct-mapped cache from short byte strings to numbers, one per scoring worker: the words
/// and BPE pieces of natural text repeat, so most look-ups stay in the 400 KB of this table
/// instead of searching the large shared ones. A key longer than `maxKey` bytes is never kept; a new
/// key replaces whatever shared its slot.
struct ByteMemo {
    static let maxKey = 23
    private static let slotCount = 16384
    private static let stride = 24
    /// Per slot: the key's length + 1 (0: empty), then up to `maxKey` bytes.
    private var keys = [UInt8](repeating: 0, count: slotCount * stride)
    private var values = [Int32](repeating: 0, count: slotCount)

    /// The value kept for `key` (with `hash` its `ByteKeyTable.hash`), or nil.
    @inline(__always)
    func value(_ key: UnsafeBufferPointer<UInt8>, hash: UInt64) -> Int32? {
        guard key.count <= Self.maxKey else { return nil }
        let slot = Int(truncatingIfNeeded: hash) & (Self.slotCount - 1)
        return keys.withUnsafeBufferPointer { keys -> Int32? in
            let base = keys.baseAddress! + slot * Self.stride
            guard Int(base[0]) == key.count + 1 else { return nil }
            if key.count > 0 && memcmp(base + 1, key.baseAddress!, key.count) != 0 { return nil }
            return values[slot]
        }
    }

    /// Keeps `value` for `key`, when the key is short enough.
    @inline(__always)
    mutating func keep(_ key: UnsafeBufferPointer<UInt8>, hash: UInt64, value: Int32) {
        guard key.count <= Self.maxKey else { return }
        let slot = Int(truncatingIfNeeded: hash) & (Self.slotCount - 1)
        keys.withUnsafeMutableBufferPointer { keys in
            let base = keys.baseAddress! + slot * Self.stride
            base[0] = UInt8(key.count + 1)
            if key.count > 0 { (base + 1).update(from: key.baseAddress!, count: key.count) }
        }
        values[slot] = value
    }
}
