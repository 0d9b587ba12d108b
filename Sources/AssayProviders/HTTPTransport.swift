import Assay
import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// Sends model requests with retries: exponential backoff with full jitter on 429, 5xx, timeouts,
/// broken connections and unreadable replies; Retry-After and rate-limit reset headers honoured; the
/// adaptive limiter shared by every call of the run.
final class HTTPTransport: Sendable {
    struct Reply: Sendable {
        var status: Int
        var body: [UInt8]
        var seconds: Double
    }

    let limiter: AdaptiveRateLimiter
    let options: ProviderOptions
    /// Made on the first request, so that a model that never sends (a dry run) holds no connections.
    private let clientBox = NIOLockedValueBox<HTTPClient?>(nil)
    private let sentBox = NIOLockedValueBox(0)

    /// Requests made so far, retries included.
    var requestsSent: Int { sentBox.withLockedValue { $0 } }

    init(options: ProviderOptions) {
        limiter = AdaptiveRateLimiter(maximum: options.concurrency)
        self.options = options
    }

    private var client: HTTPClient {
        clientBox.withLockedValue { client in
            if let client { return client }
            var configuration = HTTPClient.Configuration()
            configuration.connectionPool = .init(
                idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, options.concurrency))
            configuration.timeout = .init(connect: .seconds(10))
            let made = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            client = made
            return made
        }
    }

    /// Closes the connections. The transport must not be used afterwards.
    func shutdown() async {
        let client = clientBox.withLockedValue { client in
            defer { client = nil }
            return client
        }
        try? await client?.shutdown()
    }

    /// Posts `body` until a usable reply arrives or the attempts run out. `accept` says whether a 2xx
    /// body is usable (a truncated or malformed body is retried like a server error).
    func post(
        url: String, headers: [(String, String)], body: [UInt8], accept: @Sendable ([UInt8]) -> Bool
    ) async throws -> Reply {
        try await send(method: .POST, url: url, headers: headers, body: body, accept: accept)
    }

    /// What a 4xx reply that is not about credentials or rate limits means.
    enum Rejection {
        /// The request itself is wrong and every row would be alike (a provider's 400, 404, 422): stop the run.
        case stopsRun
        /// Only this row is wrong (an application's 400, 413, 422): the row's error. A 404 or 405 (a
        /// wrong URL or method) still stops the run.
        case failsRow
    }

    /// Sends a request until a usable reply arrives or the attempts run out (see ``post(url:headers:body:accept:)``);
    /// `body` nil sends none.
    func send(
        method: HTTPMethod, url: String, headers: [(String, String)], body: [UInt8]?, rejection: Rejection = .stopsRun,
        accept: @Sendable ([UInt8]) -> Bool
    ) async throws -> Reply {
        var lastProblem = "no attempt made"
        let attempts = max(1, options.maxAttempts)
        for attempt in 1...attempts {
            try Task.checkCancellation()
            await limiter.acquire()
            sentBox.withLockedValue { $0 += 1 }
            let clock = ContinuousClock()
            let start = clock.now
            var request = HTTPClientRequest(url: url)
            request.method = method
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
            let retryAfter: Duration?
            do {
                let (client, sent, timeout) = (self.client, request, options.timeout)
                // A deadline for the whole reply: AsyncHTTPClient's own ends when the head arrives, so a body
                // sent a byte at a time would otherwise never time out.
                let whole = try await withDeadline(timeout) {
                    let response = try await client.execute(sent, timeout: Self.timeAmount(timeout))
                    return (response, try await response.body.collect(upTo: 32 << 20))
                }
                guard let (response, bytes) = whole else { throw HTTPClientError.deadlineExceeded }
                let elapsed = clock.now - start
                let replyBody = Array(bytes.readableBytesView)
                let status = Int(response.status.code)
                if (200..<300).contains(status) {
                    if accept(replyBody) {
                        await limiter.release(.success)
                        return Reply(status: status, body: replyBody, seconds: Self.seconds(elapsed))
                    }
                    await limiter.release(.failure)
                    lastProblem =
                        "the reply could not be read (\(replyBody.count) bytes: \(String(decoding: replyBody.prefix(80), as: UTF8.self)))"
                    retryAfter = nil
                } else if status == 429 || (500..<600).contains(status) || status == 408 {
                    let wait = Self.retryAfter(response.headers, cap: options.maxRetryPause)
                    await limiter.release(status == 429 ? .rateLimited(retryAfter: wait) : .failure)
                    lastProblem = "HTTP \(status)" + (ProviderEndpoint.Dialect.errorMessage(replyBody).map { ": \($0)" } ?? "")
                    retryAfter = wait
                } else {
                    await limiter.release(.failure)
                    let message = ProviderEndpoint.Dialect.errorMessage(replyBody).map { ": \($0)" } ?? ""
                    if status == 401 || status == 403 {
                        throw AssayError.invalidInput("\(url) refused the credentials (HTTP \(status))\(message); check the API key")
                    }
                    let wholeRun: Set = rejection == .stopsRun ? [400, 404, 422] : [404, 405]
                    if wholeRun.contains(status) {
                        throw AssayError.invalidInput("\(url) rejected the request (HTTP \(status))\(message)")
                    }
                    throw AssayError(.serviceFailure, "HTTP \(status)\(message)")
                }
            } catch let error as AssayError {
                throw error
            } catch is CancellationError {
                await limiter.release(.failure)
                throw CancellationError()
            } catch {
                await limiter.release(.failure)
                if Task.isCancelled { throw CancellationError() }
                lastProblem = Self.describe(error)
                retryAfter = nil
            }
            if attempt < attempts {
                try await Task.sleep(for: min(retryAfter ?? Self.backoff(attempt: attempt), options.maxRetryPause))
            }
        }
        throw AssayError(.serviceFailure, "gave up after \(attempts) attempts: \(lastProblem)")
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds > Int64.max / 1_000_000_000 ? .max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// Full jitter: a random wait up to 0.25 s × 2^(attempt-1), at most 20 s.
    static func backoff(attempt: Int) -> Duration {
        let ceiling = min(20.0, 0.25 * pow(2, Double(attempt - 1)))
        return .milliseconds(Int(Double.random(in: 0...ceiling) * 1000))
    }

    /// The pause a reply asks for: Retry-After (seconds or an HTTP date), retry-after-ms, or the reset
    /// time of an exhausted OpenAI rate-limit window; at most `cap`, nil for values that are not a time.
    static func retryAfter(_ headers: HTTPHeaders, cap: Duration) -> Duration? {
        if let ms = headers.first(name: "retry-after-ms").flatMap(Double.init), let pause = pause(seconds: ms / 1000, cap: cap) {
            return pause
        }
        if let value = headers.first(name: "retry-after") {
            if let seconds = Double(value.trimmingCharacters(in: .whitespaces)) { return pause(seconds: seconds, cap: cap) }
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
            if let date = formatter.date(from: value) { return pause(seconds: max(0, date.timeIntervalSinceNow), cap: cap) }
        }
        for kind in ["requests", "tokens"] where headers.first(name: "x-ratelimit-remaining-\(kind)") == "0" {
            if let reset = headers.first(name: "x-ratelimit-reset-\(kind)").flatMap(parseResetSeconds),
                let pause = pause(seconds: reset, cap: cap)
            {
                return pause
            }
        }
        return nil
    }

    /// `seconds` as a pause of at most `cap`; nil for NaN or a negative number.
    static func pause(seconds: Double, cap: Duration) -> Duration? {
        guard seconds >= 0 else { return nil }  // false for NaN too
        return seconds >= Self.seconds(cap) ? cap : .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// OpenAI's reset durations: "1s", "6m0s", "250ms", "1h2m3.5s".
    static func parseResetSeconds(_ text: String) -> Double? {
        var total = 0.0
        var number = ""
        var i = text.startIndex
        var parsedAny = false
        while i < text.endIndex {
            let c = text[i]
            if c.isNumber || c == "." {
                number.append(c)
                i = text.index(after: i)
                continue
            }
            guard let value = Double(number) else { return nil }
            number = ""
            if text[i...].hasPrefix("ms") {
                total += value / 1000
                i = text.index(i, offsetBy: 2)
            } else {
                switch c {
                case "h": total += value * 3600
                case "m": total += value * 60
                case "s": total += value
                default: return nil
                }
                i = text.index(after: i)
            }
            parsedAny = true
        }
        if !number.isEmpty, let value = Double(number) {
            total += value
            parsedAny = true
        }
        return parsedAny ? total : nil
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout: return "timed out"
            case .remoteConnectionClosed: return "the connection closed before the reply was complete"
            case .connectTimeout: return "could not connect in time"
            default: return "\(error)"
            }
        }
        return "\(error)"
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
