import Crypto
public import Foundation

/// AWS Signature Version 4 for S3 requests: the canonical request, the string to sign and the
/// `Authorization` header, as AWS documents them. The payload is signed by its SHA-256 (the caller
/// hashes it, or passes `UNSIGNED-PAYLOAD`).
///
/// ```swift
/// let signer = SigV4(credentials: credentials, region: "us-east-1")
/// let headers = signer.sign(method: "GET", url: url, headers: [], payloadHash: SigV4.emptyPayloadHash, date: Date())
/// ```
public struct SigV4: Sendable {
    public var credentials: S3Credentials
    public var region: String
    public var service = "s3"

    /// The SHA-256 of an empty body.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public init(credentials: S3Credentials, region: String) {
        self.credentials = credentials
        self.region = region
    }

    /// The headers to send with a request: `host`, `x-amz-date`, `x-amz-content-sha256`, the session
    /// token when there is one, the given ones, and `Authorization` signing all of them.
    public func sign(method: String, url: URL, headers: [(String, String)], payloadHash: String, date: Date) -> [(String, String)] {
        let (stamp, day) = Self.timestamps(date)
        var all: [(String, String)] = headers.map { ($0.0.lowercased(), $0.1) }
        all.append(("host", Self.host(url)))
        all.append(("x-amz-date", stamp))
        all.append(("x-amz-content-sha256", payloadHash))
        if let token = credentials.sessionToken, !token.isEmpty { all.append(("x-amz-security-token", token)) }
        let signed = Dictionary(all.map { ($0.0, $0.1.trimmingCharacters(in: .whitespaces)) }) { first, _ in first }
        let names = signed.keys.sorted()
        let canonical = [
            method,
            Self.canonicalPath(url),
            Self.canonicalQuery(url),
            names.map { "\($0):\(signed[$0]!)\n" }.joined(),
            names.joined(separator: ";"),
            payloadHash,
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let toSign = ["AWS4-HMAC-SHA256", stamp, scope, Self.hex(SHA256.hash(data: Data(canonical.utf8)))].joined(separator: "\n")
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Data(toSign.utf8), using: signingKey(day: day)))
        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(names.joined(separator: ";")), Signature=\(signature)"
        return all.filter { $0.0 != "host" } + [("authorization", authorization)]
    }

    func signingKey(day: String) -> SymmetricKey {
        func hmac(_ key: SymmetricKey, _ text: String) -> SymmetricKey {
            SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key)))
        }
        let secret = SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8))
        return hmac(hmac(hmac(hmac(secret, day), region), service), "aws4_request")
    }

    /// `20130524T000000Z` and `20130524`, in UTC.
    static func timestamps(_ date: Date) -> (String, String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let day = String(format: "%04d%02d%02d", c.year!, c.month!, c.day!)
        return (day + String(format: "T%02d%02d%02dZ", c.hour!, c.minute!, c.second!), day)
    }

    /// `host` or `host:port` when the port is not the scheme's own.
    static func host(_ url: URL) -> String {
        let host = url.host ?? ""
        guard let port = url.port, !(url.scheme == "http" && port == 80), !(url.scheme == "https" && port == 443) else { return host }
        return "\(host):\(port)"
    }

    /// The path as sent, each segment URI-encoded once (S3 does not encode it twice).
    static func canonicalPath(_ url: URL) -> String {
        let path = url.path(percentEncoded: true)
        guard !path.isEmpty else { return "/" }
        return path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            encode(segment.removingPercentEncoding ?? String(segment))
        }.joined(separator: "/")
    }

    /// The query's pairs, each side URI-encoded, sorted by name then value.
    static func canonicalQuery(_ url: URL) -> String {
        guard let query = url.query(percentEncoded: true), !query.isEmpty else { return "" }
        let pairs = query.split(separator: "&").map { item -> (String, String) in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
            return (encode(name), encode(value))
        }
        return pairs.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// RFC 3986 encoding: letters, digits and `-._~` stay, every other byte is `%XX`.
    public static func encode(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// The hexadecimal SHA-256 of `data`, as `x-amz-content-sha256` carries it.
    public static func payloadHash(_ data: some DataProtocol) -> String {
        hex(SHA256.hash(data: data))
    }
}
