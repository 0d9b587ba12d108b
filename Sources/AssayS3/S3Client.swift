public import Assay
public import AsyncHTTPClient
import Crypto
public import Foundation
public import NIOCore
import NIOHTTP1

/// A client of an S3-compatible object store, signing every request with SigV4: objects are written
/// in one request or, past ``S3Configuration/partSize``, as a multipart upload part by part (so a
/// large upload holds one part in memory), read as a stream, listed page by page, and deleted by
/// prefix. Failures worth retrying (refused connections, timeouts, 429, 5xx) are retried a few times.
///
/// ```swift
/// let s3 = S3Client(try S3Configuration.fromEnvironment())
/// try await s3.put(bucket: "team", key: "runs/1/table.json", data: ByteBuffer(string: "{}"))
/// let listing = try await s3.list(bucket: "team", prefix: "runs/1/", delimiter: "/")
/// ```
public final class S3Client: Sendable {
    public let configuration: S3Configuration
    let signer: SigV4

    public init(_ configuration: S3Configuration) {
        self.configuration = configuration
        signer = SigV4(credentials: configuration.credentials, region: configuration.region)
    }

    /// One client for the process, never shut down (like `HTTPClient.shared`).
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(10))
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// One object of a listing.
    public struct Object: Sendable, Equatable {
        public var key: String
        public var size: Int64
    }

    /// A listing: the objects, and with a delimiter the "folders" (common prefixes, ending in the delimiter).
    public struct Listing: Sendable, Equatable {
        public var objects: [Object] = []
        public var folders: [String] = []
    }

    /// An object being read: its length when the server said, and its bytes as they arrive.
    public struct Download: Sendable {
        public var contentLength: Int64?
        public var body: HTTPClientResponse.Body
    }

    // MARK: - Requests

    /// The URL of `key` in `bucket` (no key: the bucket), with a query.
    func url(bucket: String, key: String = "", query: [(String, String)] = []) -> URL {
        let encodedKey = key.split(separator: "/", omittingEmptySubsequences: false).map { SigV4.encode(String($0)) }.joined(separator: "/")
        var text: String
        if let endpoint = configuration.endpoint {
            var base = endpoint.absoluteString
            while base.hasSuffix("/") { base.removeLast() }
            text =
                configuration.pathStyle
                ? "\(base)/\(bucket)/\(encodedKey)" : base.replacingOccurrences(of: "://", with: "://\(bucket).") + "/\(encodedKey)"
        } else {
            text = "https://\(bucket).s3.\(configuration.region).amazonaws.com/\(encodedKey)"
        }
        if !query.isEmpty {
            text += "?" + query.map { "\(SigV4.encode($0.0))=\(SigV4.encode($0.1))" }.joined(separator: "&")
        }
        return URL(string: text)!
    }

    /// Sends a signed request whose body is in memory, retrying what is worth retrying; the answer
    /// with its body collected (up to `maxBytes`).
    func send(
        _ method: HTTPMethod, _ url: URL, body: ByteBuffer? = nil, headers: [(String, String)] = [], maxBytes: Int = 16 << 20
    ) async throws(AssayError) -> (status: Int, headers: HTTPHeaders, body: ByteBuffer) {
        let hash = body.map { $0.withUnsafeReadableBytes { SigV4.payloadHash($0) } } ?? SigV4.emptyPayloadHash
        var attempt = 0
        while true {
            attempt += 1
            do {
                let response = try await Self.http.execute(
                    request(method, url, body: body.map { .bytes($0) }, headers: headers, hash: hash), timeout: .seconds(300))
                let bytes = try await response.body.collect(upTo: maxBytes)
                let status = Int(response.status.code)
                if (status == 429 || status >= 500) && attempt < 5 {
                    try await Task.sleep(for: .milliseconds(200 << attempt))
                    continue
                }
                return (status, response.headers, bytes)
            } catch let error as AssayError {
                throw error
            } catch {
                guard attempt < 5, !Task.isCancelled else {
                    throw .serviceFailure("S3 request \(method) \(Self.describe(url)) failed: \(error)")
                }
                try? await Task.sleep(for: .milliseconds(200 << attempt))
            }
        }
    }

    func request(
        _ method: HTTPMethod, _ url: URL, body: HTTPClientRequest.Body?, headers: [(String, String)], hash: String
    ) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = method
        for (name, value) in signer.sign(method: method.rawValue, url: url, headers: headers, payloadHash: hash, date: Date()) {
            request.headers.add(name: name, value: value)
        }
        if let body { request.body = body }
        return request
    }

    /// S3's error as an ``AssayError``: a missing object or bucket is `notFound`, refused credentials and
    /// bad requests `invalidInput`, the rest a service failure.
    static func failure(_ status: Int, _ body: ByteBuffer, _ what: String) -> AssayError {
        let xml = S3XML(Data(body.readableBytesView))
        let code = xml.first("Error", "Code") ?? "HTTP \(status)"
        let message = xml.first("Error", "Message") ?? String(buffer: body).prefix(200).description
        let text = "S3 \(what): \(code): \(message)"
        switch (status, code) {
        case (404, _), (_, "NoSuchKey"), (_, "NoSuchBucket"): return AssayError(.notFound, text)
        case (400..<500, _): return .invalidInput(text)
        default: return .serviceFailure(text)
        }
    }

    /// A URL for messages: without its query (which may hold an upload id).
    static func describe(_ url: URL) -> String {
        url.absoluteString.split(separator: "?").first.map(String.init) ?? url.absoluteString
    }

    // MARK: - Objects

    /// Makes the bucket unless it exists.
    public func createBucket(_ bucket: String) async throws(AssayError) {
        var body: ByteBuffer?
        if configuration.region != "us-east-1" {
            body = ByteBuffer(
                string:
                    "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>\(configuration.region)</LocationConstraint></CreateBucketConfiguration>"
            )
        }
        let answer = try await send(.PUT, url(bucket: bucket), body: body)
        let code = S3XML(Data(answer.body.readableBytesView)).first("Error", "Code")
        guard answer.status == 200 || code == "BucketAlreadyOwnedByYou" else {
            throw Self.failure(answer.status, answer.body, "create bucket \(bucket)")
        }
    }

    /// Writes an object in one request.
    public func put(bucket: String, key: String, data: ByteBuffer) async throws(AssayError) {
        let answer = try await send(.PUT, url(bucket: bucket, key: key), body: data)
        guard answer.status == 200 else { throw Self.failure(answer.status, answer.body, "write s3://\(bucket)/\(key)") }
    }

    /// Writes an object from a stream of bytes: in one request when it fits in one part, else as a
    /// multipart upload (aborted if anything fails, so no half object is left). More than `maxBytes`
    /// is a `invalidInput` error. Returns the object's size.
    @discardableResult
    public func upload<Bytes: AsyncSequence>(
        bucket: String, key: String, from bytes: Bytes, maxBytes: Int = .max
    ) async throws -> Int where Bytes.Element == ByteBuffer {
        let partSize = max(5 << 20, configuration.partSize)
        var part = ByteBuffer()
        var total = 0
        var upload: (id: String, parts: [String])?
        do {
            for try await buffer in bytes {
                total += buffer.readableBytes
                guard total <= maxBytes else { throw AssayError.invalidInput("the object is larger than the limit of \(maxBytes) bytes") }
                var buffer = buffer
                while buffer.readableBytes > 0 {
                    var slice = buffer.readSlice(length: min(buffer.readableBytes, partSize - part.readableBytes))!
                    part.writeBuffer(&slice)
                    if part.readableBytes == partSize {
                        if upload == nil { upload = (try await beginMultipart(bucket: bucket, key: key), []) }
                        upload!.parts.append(
                            try await uploadPart(bucket: bucket, key: key, id: upload!.id, number: upload!.parts.count + 1, part))
                        part.clear()
                    }
                }
            }
            guard var multipart = upload else {
                try await put(bucket: bucket, key: key, data: part)
                return total
            }
            if part.readableBytes > 0 || multipart.parts.isEmpty {
                multipart.parts.append(
                    try await uploadPart(bucket: bucket, key: key, id: multipart.id, number: multipart.parts.count + 1, part))
            }
            try await completeMultipart(bucket: bucket, key: key, id: multipart.id, parts: multipart.parts)
            return total
        } catch {
            if let upload { await abortMultipart(bucket: bucket, key: key, id: upload.id) }
            throw error
        }
    }

    func beginMultipart(bucket: String, key: String) async throws(AssayError) -> String {
        let answer = try await send(.POST, url(bucket: bucket, key: key, query: [("uploads", "")]))
        guard answer.status == 200, let id = S3XML(Data(answer.body.readableBytesView)).first("UploadId") else {
            throw Self.failure(answer.status, answer.body, "begin a multipart upload of s3://\(bucket)/\(key)")
        }
        return id
    }

    func uploadPart(bucket: String, key: String, id: String, number: Int, _ data: ByteBuffer) async throws(AssayError) -> String {
        let answer = try await send(
            .PUT, url(bucket: bucket, key: key, query: [("partNumber", String(number)), ("uploadId", id)]), body: data)
        guard answer.status == 200, let etag = answer.headers.first(name: "ETag") else {
            throw Self.failure(answer.status, answer.body, "upload part \(number) of s3://\(bucket)/\(key)")
        }
        return etag
    }

    func completeMultipart(bucket: String, key: String, id: String, parts: [String]) async throws(AssayError) {
        let list = parts.enumerated().map {
            "<Part><PartNumber>\($0.offset + 1)</PartNumber><ETag>\(S3XML.escape($0.element))</ETag></Part>"
        }
        let body = ByteBuffer(string: "<CompleteMultipartUpload>\(list.joined())</CompleteMultipartUpload>")
        let answer = try await send(.POST, url(bucket: bucket, key: key, query: [("uploadId", id)]), body: body)
        // S3 may answer 200 with an error in the body when the completion fails late.
        guard answer.status == 200, S3XML(Data(answer.body.readableBytesView)).first("Error", "Code") == nil else {
            throw Self.failure(answer.status == 200 ? 500 : answer.status, answer.body, "complete the upload of s3://\(bucket)/\(key)")
        }
    }

    func abortMultipart(bucket: String, key: String, id: String) async {
        _ = try? await send(.DELETE, url(bucket: bucket, key: key, query: [("uploadId", id)]))
    }

    /// Reads an object as a stream; `notFound` when there is none.
    public func download(bucket: String, key: String) async throws(AssayError) -> Download {
        let target = url(bucket: bucket, key: key)
        var attempt = 0
        while true {
            attempt += 1
            do {
                let response = try await Self.http.execute(
                    request(.GET, target, body: nil, headers: [], hash: SigV4.emptyPayloadHash), timeout: .hours(6))
                let status = Int(response.status.code)
                if status == 200 {
                    return Download(contentLength: response.headers.first(name: "Content-Length").flatMap(Int64.init), body: response.body)
                }
                let body = try await response.body.collect(upTo: 1 << 20)
                if (status == 429 || status >= 500) && attempt < 5 {
                    try await Task.sleep(for: .milliseconds(200 << attempt))
                    continue
                }
                throw Self.failure(status, body, "read s3://\(bucket)/\(key)")
            } catch let error as AssayError {
                throw error
            } catch {
                guard attempt < 5, !Task.isCancelled else { throw .serviceFailure("S3 read of s3://\(bucket)/\(key) failed: \(error)") }
                try? await Task.sleep(for: .milliseconds(200 << attempt))
            }
        }
    }

    /// An object's size and ETag, or nil when there is no such object.
    public func head(bucket: String, key: String) async throws(AssayError) -> (size: Int64, etag: String)? {
        let answer = try await send(.HEAD, url(bucket: bucket, key: key))
        if answer.status == 404 { return nil }
        guard answer.status == 200 else { throw Self.failure(answer.status, answer.body, "look up s3://\(bucket)/\(key)") }
        return (answer.headers.first(name: "Content-Length").flatMap(Int64.init) ?? 0, answer.headers.first(name: "ETag") ?? "")
    }

    /// Throws unless the bucket exists and these credentials may list it (one key at most).
    public func probe(bucket: String) async throws(AssayError) {
        let answer = try await send(.GET, url(bucket: bucket, query: [("list-type", "2"), ("max-keys", "1")]))
        guard answer.status == 200 else { throw Self.failure(answer.status, answer.body, "list s3://\(bucket)") }
    }

    /// Reads a whole object (at most `maxBytes`) into memory.
    public func data(bucket: String, key: String, maxBytes: Int = 1 << 30) async throws(AssayError) -> Data {
        let answer = try await send(.GET, url(bucket: bucket, key: key), maxBytes: maxBytes)
        guard answer.status == 200 else { throw Self.failure(answer.status, answer.body, "read s3://\(bucket)/\(key)") }
        return Data(answer.body.readableBytesView)
    }

    /// The objects under `prefix`, every page of them; with a delimiter only one level, the deeper
    /// ones grouped into folders.
    public func list(bucket: String, prefix: String, delimiter: String? = nil) async throws(AssayError) -> Listing {
        var listing = Listing()
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", prefix)]
            if let delimiter { query.append(("delimiter", delimiter)) }
            if let token { query.append(("continuation-token", token)) }
            let answer = try await send(.GET, url(bucket: bucket, query: query), maxBytes: 64 << 20)
            guard answer.status == 200 else { throw Self.failure(answer.status, answer.body, "list s3://\(bucket)/\(prefix)") }
            let xml = S3XML(Data(answer.body.readableBytesView))
            for entry in xml.groups("Contents") {
                guard let key = entry["Key"] else { continue }
                listing.objects.append(Object(key: key, size: Int64(entry["Size"] ?? "") ?? 0))
            }
            listing.folders += xml.groups("CommonPrefixes").compactMap { $0["Prefix"] }
            token = xml.first("IsTruncated") == "true" ? xml.first("NextContinuationToken") : nil
        } while token != nil
        return listing
    }

    /// Deletes every object under `prefix` (a thousand per request); returns how many went.
    @discardableResult
    public func deleteAll(bucket: String, prefix: String) async throws(AssayError) -> Int {
        let keys = try await list(bucket: bucket, prefix: prefix).objects.map(\.key)
        var start = 0
        while start < keys.count {
            let batch = keys[start..<min(keys.count, start + 1000)]
            let body =
                "<Delete><Quiet>true</Quiet>" + batch.map { "<Object><Key>\(S3XML.escape($0))</Key></Object>" }.joined() + "</Delete>"
            let md5 = Data(Insecure.MD5.hash(data: Data(body.utf8))).base64EncodedString()
            let answer = try await send(
                .POST, url(bucket: bucket, query: [("delete", "")]), body: ByteBuffer(string: body), headers: [("Content-MD5", md5)])
            let errors = S3XML(Data(answer.body.readableBytesView)).groups("Error")
            guard answer.status == 200, errors.isEmpty else {
                let first = errors.first.map { "\($0["Key"] ?? ""): \($0["Code"] ?? "") \($0["Message"] ?? "")" } ?? ""
                throw answer.status == 200
                    ? .serviceFailure("S3 delete under s3://\(bucket)/\(prefix): \(errors.count) objects were not deleted (\(first))")
                    : Self.failure(answer.status, answer.body, "delete under s3://\(bucket)/\(prefix)")
            }
            start += batch.count
        }
        return keys.count
    }
}
