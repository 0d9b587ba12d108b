/// `transform` over every item, at most `width` at a time, the results in the items' order: the
/// sliding window the engine uses for model calls and judge calls. A failure cancels the calls still
/// running and is the answer.
///
/// ```swift
/// let answers = await boundedMap(rows, width: 8) { _, row in await ask(row) }
/// ```
package func boundedMap<Item: Sendable, Value: Sendable, Failure: Error>(
    _ items: [Item], width: Int, _ transform: @escaping @Sendable (_ index: Int, Item) async -> Result<Value, Failure>
) async -> Result<[Value], Failure> {
    await withTaskGroup(of: (Int, Result<Value, Failure>).self) { group in
        var results = [Value?](repeating: nil, count: items.count)
        var next = 0
        func launch() {
            let index = next
            let item = items[index]
            next += 1
            group.addTask { (index, await transform(index, item)) }
        }
        while next < min(max(1, width), items.count) { launch() }
        while let (index, result) = await group.next() {
            switch result {
            case .failure(let failure):
                group.cancelAll()
                return .failure(failure)
            case .success(let value):
                results[index] = value
                if next < items.count { launch() }
            }
        }
        return .success(results.compactMap { $0 })
    }
}
