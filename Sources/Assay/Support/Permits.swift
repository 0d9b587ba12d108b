import Foundation

/// A counting semaphore for tasks: at most `count` holders at once, the rest waiting in arrival order.
/// A waiting task that is cancelled stops waiting (with `CancellationError`) and takes no permit, so
/// nobody is left suspended and no permit is lost.
///
/// ```swift
/// let permits = Permits(4)
/// let answer = try await permits.withPermit { try await model.complete(request) }
/// ```
package final class Permits: @unchecked Sendable {
    // Every field below is read and written only while `lock` is held.
    private let lock = NSLock()
    private var available: Int
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextID: UInt64 = 0

    /// Permits for `count` holders at once (at least one).
    package init(_ count: Int) {
        available = max(1, count)
    }

    /// Waits for a permit; throws `CancellationError` when the task is cancelled while waiting.
    package func acquire() async throws {
        let id: UInt64? = lock.withLock {
            if available > 0 {
                available -= 1
                return nil
            }
            nextID += 1
            return nextID
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // Decided under the lock, resumed outside it.
                let outcome: Bool? = lock.withLock {
                    if Task.isCancelled { return false }
                    if available > 0 {
                        available -= 1
                        return true
                    }
                    waiters.append((id, continuation))
                    return nil
                }
                switch outcome {
                case true?: continuation.resume()
                case false?: continuation.resume(throwing: CancellationError())
                case nil: break
                }
            }
        } onCancel: {
            let waiter = lock.withLock { waiters.firstIndex { $0.id == id }.map { waiters.remove(at: $0) } }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Gives a permit back: to the longest waiter, or to the pool.
    package func release() {
        let next = lock.withLock { () -> CheckedContinuation<Void, any Error>? in
            if waiters.isEmpty {
                available += 1
                return nil
            }
            return waiters.removeFirst().continuation
        }
        next?.resume()
    }

    /// Runs `body` holding a permit, giving it back however `body` ends.
    package func withPermit<T>(_ body: () async throws -> T) async throws -> T {
        try await acquire()
        defer { release() }
        return try await body()
    }
}
