import PropertyBased
import Testing

@testable import Assay

/// ROUGE-L's longest common subsequence is counted bit-parallel when a side has at most 64 tokens;
/// on random token sequences (few kinds, so that they share much; lengths across the 64-token
/// boundary; ids as the interner makes them and arbitrary ones) it must equal the table's count.
@Suite struct RougeLCSTests {
    @Test func bitParallelLengthEqualsTheTables() async {
        let tokens = Gen<Int32>.int32(in: 0...5).array(of: 0...80)
        await propertyCheck(count: 1000, input: tokens, tokens) { a, b in
            var row: [Int32] = []
            let expected = Rouge.tableLCSLength(a, b, &row)
            #expect(Rouge.lcsLength(a, b, &row) == expected, "\(a) \(b)")
            #expect(Rouge.lcsLength(b, a, &row) == expected, "\(b) \(a)")
            if let length = Rouge.bitParallelLCSLength(a, b) { #expect(length == expected, "\(a) \(b)") }
        }
    }

    @Test func arbitraryTokenIdsAndFullWords() async {
        let tokens = Gen<Int32?>.element(of: [Int32.min, -2, -1, 0, 7, 1 << 20, Int32.max]).map { $0 ?? 0 }.array(of: 60...64)
        await propertyCheck(count: 300, input: tokens, tokens) { a, b in
            var row: [Int32] = []
            #expect(Rouge.lcsLength(a, b, &row) == Rouge.tableLCSLength(a, b, &row), "\(a) \(b)")
        }
    }
}
