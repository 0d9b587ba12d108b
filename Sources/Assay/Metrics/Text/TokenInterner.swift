/// Gives each distinct token (a run of UTF-8 bytes) a small integer id, so that text metrics compare
/// and count integers instead of strings. Tokens compare by bytes, as Python compares strings by code
/// points. Reused from row to row: ``reset()`` keeps the storage.
struct TokenInterner {
    private var bytes: [UInt8] = []
    private var starts: [Int32] = []
    private var lengths: [Int32] = []
    private var slots: [Int32] = Array(repeating: -1, count: 64)
    private var mask = 63

    var count: Int { starts.count }

    mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        lengths.removeAll(keepingCapacity: true)
        for i in slots.indices { slots[i] = -1 }
    }

    /// The id of the token held in `token`.
    mutating func id(_ token: UnsafeBufferPointer<UInt8>) -> Int32 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in token { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let existing = slots[slot]
            if existing < 0 { break }
            let start = Int(starts[Int(existing)])
            let length = Int(lengths[Int(existing)])
            if length == token.count
                && bytes.withUnsafeBufferPointer({ stored in
                    token.indices.allSatisfy { stored[start + $0] == token[$0] }
                })
            {
                return existing
            }
            slot = (slot + 1) & mask
        }
        let id = Int32(starts.count)
        starts.append(Int32(bytes.count))
        lengths.append(Int32(token.count))
        bytes.append(contentsOf: token)
        slots[slot] = id
        if starts.count * 2 > slots.count { grow() }
        return id
    }

    private mutating func grow() {
        slots = Array(repeating: -1, count: slots.count * 2)
        mask = slots.count - 1
        for id in 0..<starts.count {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for k in 0..<Int(lengths[id]) { hash = (hash ^ UInt64(bytes[Int(starts[id]) + k])) &* 0x100_0000_01b3 }
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(id)
        }
    }
}
