/// Runs `operation` for at most `limit`: its value, or nil when the time ran out first (the operation is
/// then cancelled, and this returns once it has stopped). For waits that have no deadline of their own,
/// such as a reply body that arrives a byte at a time.
///
/// ```swift
/// guard let bytes = try await withDeadline(.seconds(60), { try await response.body.collect(upTo: limit) }) else {
///     throw TimedOut()
/// }
/// ```
package func withDeadline<T: Sendable>(_ limit: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T? {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        return try await group.next() ?? nil
    }
}
