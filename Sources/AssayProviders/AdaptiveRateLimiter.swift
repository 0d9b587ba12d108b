/// Shares a provider's capacity between all the calls of a run: at most `limit` requests in flight,
/// the limit halved on every rate-limit answer and grown by one after a window of successes, and every
/// request held back while the provider has asked for a pause (Retry-After).
actor AdaptiveRateLimiter {
    private let maximum: Int
    private(set) var limit: Int
    private var inFlight = 0
    private var successesSinceChange = 0
    private var pausedUntil: ContinuousClock.Instant?
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(maximum: Int) {
        self.maximum = max(1, maximum)
        self.limit = max(1, maximum)
    }

    /// Waits for a slot (and for any pause to end).
    func acquire() async {
        while true {
            if let until = pausedUntil {
                if until > .now {
                    do {
                        try await Task.sleep(until: until, clock: .continuous)
                    } catch {
                        // Cancelled: take the slot without waiting; the caller sees the cancellation and gives it back.
                        inFlight += 1
                        return
                    }
                    continue
                }
                pausedUntil = nil
            }
            if inFlight < limit {
                inFlight += 1
                return
            }
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    /// How a request ended, for adapting the limit.
    enum Outcome {
        case success
        case rateLimited(retryAfter: Duration?)
        case failure
    }

    /// Gives the slot back.
    func release(_ outcome: Outcome) {
        inFlight -= 1
        switch outcome {
        case .success:
            successesSinceChange += 1
            if successesSinceChange >= limit, limit < maximum {
                limit += 1
                successesSinceChange = 0
            }
        case .rateLimited(let retryAfter):
            limit = max(1, limit / 2)
            successesSinceChange = 0
            if let retryAfter, retryAfter > .zero {
                let until = ContinuousClock.now + retryAfter
                if pausedUntil.map({ until > $0 }) ?? true { pausedUntil = until }
            }
        case .failure:
            break
        }
        let free = max(0, limit - inFlight)
        for _ in 0..<min(free, waiters.count) { waiters.removeFirst().resume() }
    }
}
