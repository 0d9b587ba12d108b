import Foundation
import Testing

@testable import Assay

/// The engine's two concurrency helpers: permits that let a cancelled waiter go, and the bounded map.
@Suite struct ConcurrencyTests {
    @Test func aCancelledWaiterStopsWaitingAndTakesNoPermit() async throws {
        let permits = Permits(1)
        try await permits.acquire()
        let waiter = Task { try await permits.acquire() }
        try await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        // The permit held is still the only one: once given back, the next taker gets it at once.
        permits.release()
        try await permits.acquire()
        let third = Task { try await permits.acquire() }
        try await Task.sleep(for: .milliseconds(50))
        permits.release()
        try await third.value
        permits.release()
    }

    @Test func aPermitGoesToTheLongestWaiter() async throws {
        let permits = Permits(1)
        try await permits.acquire()
        let order = Locked(Counter())
        var tasks: [Task<Void, any Error>] = []
        for i in 0..<3 {
            tasks.append(Task { try await permits.withPermit { order.withValue { $0.order.append(i) } } })
            try await Task.sleep(for: .milliseconds(20))
        }
        permits.release()
        for task in tasks { try await task.value }
        #expect(order.withValue { $0.order } == [0, 1, 2])
    }

    @Test func boundedMapKeepsOrderAndWidth() async throws {
        let running = Locked(Counter())
        let result = await boundedMap(Array(0..<40), width: 3) { _, item -> Result<Int, Never> in
            running.withValue { $0.enter() }
            try? await Task.sleep(for: .milliseconds(Int.random(in: 1...5)))
            running.withValue { $0.leave() }
            return .success(item * 2)
        }
        #expect(result.get() == (0..<40).map { $0 * 2 })
        #expect(running.withValue { $0.peak } == 3)
    }

    @Test func boundedMapStopsAtTheFirstFailure() async {
        struct Stop: Error {}
        let started = Locked(Counter())
        let result = await boundedMap(Array(0..<100), width: 2) { _, item -> Result<Int, Stop> in
            started.withValue { $0.enter() }
            return item == 5 ? .failure(Stop()) : .success(item)
        }
        #expect(throws: Stop.self) { try result.get() }
        #expect(started.withValue { $0.total } < 100)
    }
}

/// Counts tasks inside a section and the most at once, and the order they came in.
final class Counter {
    var now = 0, peak = 0, total = 0
    var order: [Int] = []
    func enter() {
        now += 1
        total += 1
        peak = max(peak, now)
    }
    func leave() { now -= 1 }
}
