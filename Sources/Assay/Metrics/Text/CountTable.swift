/// A counting hash table for 64-bit keys (packed n-grams), cleared in constant time between rows.
///
/// Swift's `Dictionary` hashes with SipHash for safety against crafted keys; these keys are token ids
/// of one row, so a multiplicative hash with linear probing is safe and several times faster.
struct CountTable {
    private var keys: [UInt64] = Array(repeating: 0, count: 256)
    private var counts: [Int32] = Array(repeating: 0, count: 256)
    private var stamps: [UInt32] = Array(repeating: 0, count: 256)
    private var stamp: UInt32 = 1
    private var used = 0

    /// Empties the table, keeping its storage.
    mutating func reset(expecting count: Int = 0) {
        if count * 2 > keys.count {
            var size = keys.count
            while size < count * 2 { size *= 2 }
            keys = Array(repeating: 0, count: size)
            counts = Array(repeating: 0, count: size)
            stamps = Array(repeating: 0, count: size)
            stamp = 1
        } else {
            stamp &+= 1
            if stamp == 0 {
                for i in stamps.indices { stamps[i] = 0 }
                stamp = 1
            }
        }
        used = 0
    }

    @inline(__always)
    private func slot(for key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & (keys.count - 1)
    }

    /// Adds one to the key's count.
    mutating func increment(_ key: UInt64) {
        if (used + 1) * 2 > keys.count { grow() }
        var i = slot(for: key)
        while stamps[i] == stamp {
            if keys[i] == key {
                counts[i] += 1
                return
            }
            i = (i + 1) & (keys.count - 1)
        }
        stamps[i] = stamp
        keys[i] = key
        counts[i] = 1
        used += 1
    }

    /// Takes one from the key's count if it is positive; returns whether it did.
    mutating func take(_ key: UInt64) -> Bool {
        var i = slot(for: key)
        while stamps[i] == stamp {
            if keys[i] == key {
                guard counts[i] > 0 else { return false }
                counts[i] -= 1
                return true
            }
            i = (i + 1) & (keys.count - 1)
        }
        return false
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldCounts = counts
        let oldStamps = stamps
        let oldStamp = stamp
        keys = Array(repeating: 0, count: oldKeys.count * 2)
        counts = Array(repeating: 0, count: oldKeys.count * 2)
        stamps = Array(repeating: 0, count: oldKeys.count * 2)
        stamp = 1
        for j in oldKeys.indices where oldStamps[j] == oldStamp {
            var i = slot(for: oldKeys[j])
            while stamps[i] == stamp { i = (i + 1) & (keys.count - 1) }
            stamps[i] = stamp
            keys[i] = oldKeys[j]
            counts[i] = oldCounts[j]
        }
    }
}
