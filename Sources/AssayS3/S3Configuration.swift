public import Assay
public import Foundation

/// An access key, as AWS hands it out (a session token too for temporary credentials).
public struct S3Credentials: Sendable, Equatable {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }
}

/// Where an S3-compatible service is and how to sign for it, read from the settings the AWS tools and
/// MLflow use: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` (or
/// `AWS_DEFAULT_REGION`, else us-east-1), and `MLFLOW_S3_ENDPOINT_URL` for an S3-compatible server
/// (MinIO, R2, GCS in S3 mode, moto), which is then addressed path-style (`http://host/bucket/key`).
///
/// ```swift
/// let settings = try S3Configuration.fromEnvironment()
/// let client = S3Client(settings)
/// ```
public struct S3Configuration: Sendable, Equatable {
    public var credentials: S3Credentials
    public var region: String
    /// The service's base URL; nil for AWS itself (`https://<bucket>.s3.<region>.amazonaws.com`).
    public var endpoint: URL?
    /// Whether the bucket goes into the path (`host/bucket/key`) rather than the host name.
    public var pathStyle: Bool
    /// Objects larger than this are uploaded in parts of this size (at least 5 MiB, as S3 requires).
    public var partSize: Int = 8 << 20

    public init(credentials: S3Credentials, region: String = "us-east-1", endpoint: URL? = nil, pathStyle: Bool? = nil) {
        self.credentials = credentials
        self.region = region
        self.endpoint = endpoint
        self.pathStyle = pathStyle ?? (endpoint != nil)
    }

    /// The settings from the environment; missing credentials are an `invalidInput` error naming the variables.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(AssayError)
        -> S3Configuration
    {
        guard let key = environment["AWS_ACCESS_KEY_ID"], !key.isEmpty, let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty
        else {
            throw .invalidInput(
                "s3:// artifacts need credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones)"
            )
        }
        var endpoint: URL?
        if let text = environment["MLFLOW_S3_ENDPOINT_URL"] ?? environment["AWS_ENDPOINT_URL_S3"] ?? environment["AWS_ENDPOINT_URL"],
            !text.isEmpty
        {
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw .invalidInput("MLFLOW_S3_ENDPOINT_URL '\(text)' is not an http(s):// URL")
            }
            endpoint = url
        }
        let region = [environment["AWS_REGION"], environment["AWS_DEFAULT_REGION"]].compactMap { $0 }.first { !$0.isEmpty } ?? "us-east-1"
        let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        return S3Configuration(
            credentials: S3Credentials(accessKeyID: key, secretAccessKey: secret, sessionToken: token), region: region, endpoint: endpoint)
    }
}

/// An `s3://bucket/prefix` location.
public struct S3Location: Sendable, Equatable, CustomStringConvertible {
    public var bucket: String
    /// The key prefix, without slashes at either end ("" for the bucket's top).
    public var prefix: String

    public init(bucket: String, prefix: String) {
        self.bucket = bucket
        self.prefix = prefix.split(separator: "/").joined(separator: "/")
    }

    /// Parses `s3://bucket/prefix`; anything else is an `invalidInput` error.
    public init(_ uri: String) throws(AssayError) {
        guard uri.lowercased().hasPrefix("s3://") else { throw .invalidInput("'\(uri)' is not an s3:// URI") }
        let rest = uri.dropFirst(5)
        let bucket = String(rest.prefix { $0 != "/" })
        guard (3...63).contains(bucket.count), bucket.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" || $0 == "." }) else {
            throw .invalidInput("'\(uri)': '\(bucket)' is not a bucket name (3 to 63 lower-case letters, digits, dots and hyphens)")
        }
        self.init(bucket: bucket, prefix: String(rest.dropFirst(bucket.count)))
    }

    /// The key of `relative` below the prefix.
    public func key(_ relative: String) -> String {
        let tail = relative.split(separator: "/").joined(separator: "/")
        if prefix.isEmpty { return tail }
        return tail.isEmpty ? prefix : prefix + "/" + tail
    }

    public var description: String { prefix.isEmpty ? "s3://\(bucket)" : "s3://\(bucket)/\(prefix)" }
}
