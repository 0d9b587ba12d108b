import Assay
import AssayTesting
import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

@testable import AssayS3

/// SigV4 against AWS's published example, and the client against a real S3-compatible server that
/// checks signatures (moto's, started by `scripts/test` as ASSAY_S3_ENDPOINT).
@Suite struct S3ClientTests {
    /// AWS's documented example request (GET Object with a Range header, in the S3 signing guide).
    @Test func signaturesMatchAWSsWorkedExample() throws {
        let signer = SigV4(
            credentials: S3Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            region: "us-east-1")
        let headers = signer.sign(
            method: "GET", url: URL(string: "https://examplebucket.s3.amazonaws.com/test.txt")!, headers: [("Range", "bytes=0-9")],
            payloadHash: SigV4.emptyPayloadHash, date: Date(timeIntervalSince1970: 1_369_353_600))
        let authorization = try #require(headers.first { $0.0 == "authorization" }?.1)
        #expect(
            authorization
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
        #expect(SigV4.encode("a b/c~d.é") == "a%20b%2Fc~d.%C3%A9")
        #expect(SigV4.canonicalQuery(URL(string: "https://h/?uploads=&b=2&a=1%2B")!) == "a=1%2B&b=2&uploads=")
    }

    @Test func settingsComeFromTheEnvironmentAndLocationsAreChecked() throws {
        let settings = try S3Configuration.fromEnvironment([
            "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "AWS_DEFAULT_REGION": "eu-west-1",
            "MLFLOW_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
        ])
        #expect(settings.region == "eu-west-1" && settings.pathStyle && settings.endpoint?.port == 9000)
        let client = S3Client(settings)
        #expect(client.url(bucket: "team", key: "a b/c.json").absoluteString == "http://127.0.0.1:9000/team/a%20b/c.json")
        let aws = S3Client(S3Configuration(credentials: S3Credentials(accessKeyID: "k", secretAccessKey: "s"), region: "us-west-2"))
        #expect(aws.url(bucket: "team", key: "x").absoluteString == "https://team.s3.us-west-2.amazonaws.com/x")
        #expect(throws: AssayError.self) { try S3Configuration.fromEnvironment([:]) }
        #expect(try S3Location("s3://team-bucket/runs/").description == "s3://team-bucket/runs")
        #expect(try S3Location("s3://team-bucket/runs").key("1/a/b.json") == "runs/1/a/b.json")
        #expect(throws: AssayError.self) { try S3Location("s3://UPPER/x") }
        #expect(throws: AssayError.self) { try S3Location("gs://bucket/x") }
    }

    @Test(.enabled(if: S3TestPeer.configuration != nil, "set ASSAY_S3_ENDPOINT (scripts/test starts moto's S3 server)"))
    func objectsAreWrittenInPartsReadStreamedListedAndDeleted() async throws {
        var settings = try #require(S3TestPeer.configuration)
        settings.partSize = 5 << 20
        let s3 = S3Client(settings)
        let bucket = S3TestPeer.bucket
        let prefix = "client-\(UUID().uuidString)"
        try await s3.createBucket(bucket)

        try await s3.put(bucket: bucket, key: "\(prefix)/small.json", data: ByteBuffer(string: #"{"a": 1}"#))
        #expect(String(decoding: try await s3.data(bucket: bucket, key: "\(prefix)/small.json"), as: UTF8.self) == #"{"a": 1}"#)
        // 12 MiB and a bit, in uneven pieces: three parts of a multipart upload.
        let pieces = (0..<25).map { i in ByteBuffer(repeating: UInt8(i), count: 500_000 + i) }
        let size = try await s3.upload(bucket: bucket, key: "\(prefix)/big/blob.bin", from: pieces.async)
        #expect(size == pieces.reduce(0) { $0 + $1.readableBytes })
        let download = try await s3.download(bucket: bucket, key: "\(prefix)/big/blob.bin")
        #expect(download.contentLength == Int64(size))
        var received = 0
        var matches = true
        var expected = pieces.flatMap { Array($0.readableBytesView) }[...]
        for try await chunk in download.body {
            matches = matches && chunk.readableBytesView.elementsEqual(expected.prefix(chunk.readableBytes))
            expected = expected.dropFirst(chunk.readableBytes)
            received += chunk.readableBytes
        }
        #expect(received == size && matches)

        let level = try await s3.list(bucket: bucket, prefix: prefix + "/", delimiter: "/")
        #expect(level.objects.map(\.key) == ["\(prefix)/small.json"] && level.folders == ["\(prefix)/big/"])
        #expect(try await s3.list(bucket: bucket, prefix: prefix + "/").objects.count == 2)
        // A key with spaces and unicode survives the signing.
        try await s3.put(bucket: bucket, key: "\(prefix)/odd name é+.txt", data: ByteBuffer(string: "x"))
        #expect(try await s3.data(bucket: bucket, key: "\(prefix)/odd name é+.txt") == Data("x".utf8))

        let missing = await errorMessage { _ = try await s3.data(bucket: bucket, key: "\(prefix)/nope") }
        #expect(missing?.contains("NoSuchKey") == true)
        var wrong = settings
        wrong.credentials.secretAccessKey = "not-the-secret"
        let refused = await errorMessage { _ = try await S3Client(wrong).list(bucket: bucket, prefix: prefix) }
        #expect(refused?.contains("SignatureDoesNotMatch") == true, "\(refused ?? "")")
        // A stream larger than allowed is refused and leaves no object (the multipart upload is aborted).
        let tooBig = await errorMessage {
            try await s3.upload(bucket: bucket, key: "\(prefix)/too-big.bin", from: pieces.async, maxBytes: 7_000_000)
        }
        #expect(tooBig?.contains("larger than the limit") == true)
        #expect(try await s3.list(bucket: bucket, prefix: "\(prefix)/too-big").objects.isEmpty)

        #expect(try await s3.deleteAll(bucket: bucket, prefix: prefix + "/") == 3)
        #expect(try await s3.list(bucket: bucket, prefix: prefix + "/").objects.isEmpty)
    }

    @Test(.enabled(if: S3TestPeer.configuration != nil, "set ASSAY_S3_ENDPOINT (scripts/test starts moto's S3 server)"))
    func runsWithAnS3ArtifactLocationKeepTheirFilesInTheBucket() async throws {
        let s3 = S3Client(try #require(S3TestPeer.configuration))
        let folder = try TemporaryFolder()
        let repository = S3ArtifactRepository(client: s3, fallback: LocalArtifactRepository(root: folder.url))
        let run = RunInfo(
            id: "abc", experimentID: "1", name: "r", userID: "", status: .running, startTime: 0, endTime: nil,
            artifactURI: "s3://\(S3TestPeer.bucket)/repo-\(UUID().uuidString)/1/abc/artifacts", lifecycleStage: .active)
        try await repository.write(Data("{\"rows\": 1}".utf8), at: "eval_results_table.json", of: run)
        try await repository.write(Data("x".utf8), at: "model/MLmodel", of: run)
        #expect(try await repository.read("eval_results_table.json", of: run) == Data("{\"rows\": 1}".utf8))
        #expect(try await repository.files(under: "", of: run) == ["eval_results_table.json", "model/MLmodel"])
        #expect(try await repository.files(under: "model", of: run) == ["model/MLmodel"])
        #expect(repository.location(of: run) == run.artifactURI)
        try await repository.deleteAll(of: run)
        #expect(try await repository.files(under: "", of: run).isEmpty)
        // A run kept elsewhere goes to the fallback.
        var local = run
        local.artifactURI = "mlflow-artifacts:/1/abc/artifacts"
        try await repository.write(Data("y".utf8), at: "f.txt", of: local)
        #expect(FileManager.default.fileExists(atPath: folder.path("1/abc/artifacts/f.txt")))
    }
}

extension Array where Element: Sendable {
    /// The elements as an async sequence.
    var async: AsyncStream<Element> {
        AsyncStream { continuation in
            for element in self { continuation.yield(element) }
            continuation.finish()
        }
    }
}
