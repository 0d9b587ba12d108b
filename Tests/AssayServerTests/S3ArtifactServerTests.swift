import Assay
import AssayS3
import AssayServer
import AssayTesting
import Foundation
import HTTPTypes
import Testing

/// The server with its artifacts in an S3-compatible bucket (moto's server, which checks signatures,
/// started by `scripts/test` as ASSAY_S3_ENDPOINT): the artifact proxy, the web UI and MLflow's
/// listing read and write the bucket as they do a folder.
@Suite(.enabled(if: S3TestPeer.configuration != nil, "set ASSAY_S3_ENDPOINT (scripts/test starts moto's S3 server)"))
struct S3ArtifactServerTests {
    static func destination() throws -> (ArtifactDestination, S3Client, S3Location) {
        let configuration = try #require(S3TestPeer.configuration)
        let root = S3Location(bucket: S3TestPeer.bucket, prefix: "server-\(UUID().uuidString)")
        return (.s3(root, configuration), S3Client(configuration), root)
    }

    @Test func theProxyKeepsFilesInTheBucketAndStreamsThemBack() async throws {
        let (destination, s3, root) = try Self.destination()
        try await LiveServer.with({ $0.maxArtifactBytes = 12 << 20 }, artifactDestination: destination) { server in
            let run = try await server.createRun()
            let proxy = "/api/2.0/mlflow-artifacts/artifacts/0/\(run)/artifacts"
            // Larger than one part: a multipart upload into the bucket.
            let blob = (0..<(9 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            #expect(try await server.send(.put, "\(proxy)/data/blob.bin", bytes: blob).status == 200)
            let table = #"{"columns": ["inputs", "outputs"], "data": [["What is S3?", "Object storage."]]}"#
            #expect(try await server.send(.put, "\(proxy)/eval_results_table.json", bytes: Array(table.utf8)).status == 200)
            let stored = try await s3.list(bucket: root.bucket, prefix: root.prefix + "/").objects.map(\.key)
            #expect(
                Set(stored) == [
                    "\(root.prefix)/0/\(run)/artifacts/data/blob.bin", "\(root.prefix)/0/\(run)/artifacts/eval_results_table.json",
                ])

            let back = try await server.send(.get, "\(proxy)/data/blob.bin")
            #expect(back.status == 200 && back.headers.first(name: "Content-Length") == String(blob.count))
            #expect(back.bytes == blob)
            let listing = try await server.send(.get, "/api/2.0/mlflow-artifacts/artifacts?path=0/\(run)/artifacts")
            let files = try #require(listing.json["files"] as? [[String: Any]], "\(listing.body)")
            #expect(files.compactMap { $0["path"] as? String } == ["data", "eval_results_table.json"])
            #expect(files.first { $0["path"] as? String == "eval_results_table.json" }?["file_size"] as? Int == table.utf8.count)
            let runListing = try await server.get("artifacts/list?run_id=\(run)&path=data")
            #expect(runListing.body.contains("data/blob.bin"), "\(runListing.body)")

            // The run page finds the logged table in the bucket and shows its rows.
            let logged = #"[{\"path\": \"eval_results_table.json\", \"type\": \"table\"}]"#
            #expect(
                try await server.post("runs/set-tag", #"{"run_id": "\#(run)", "key": "mlflow.loggedArtifacts", "value": "\#(logged)"}"#)
                    .status == 200)
            let page = try await server.send(.get, "/runs/\(run)")
            #expect(page.status == 200 && page.body.contains("Object storage.") && page.body.contains("blob.bin"))
            let viewed = try await server.send(.get, "/runs/\(run)/artifacts/eval_results_table.json")
            #expect(viewed.status == 200 && viewed.body.contains("What is S3?"))

            #expect(try await server.send(.get, "\(proxy)/nope.txt").status == 404)
            #expect(try await server.send(.put, "\(proxy)/../escape.txt", bytes: [1]).status == 400)
            let tooBig = try await server.send(.put, "\(proxy)/huge.bin", bytes: [UInt8](repeating: 7, count: 13 << 20))
            #expect(tooBig.status == 413)
            #expect(try await s3.list(bucket: root.bucket, prefix: "\(root.prefix)/0/\(run)/artifacts/huge").objects.isEmpty)
            try await s3.deleteAll(bucket: root.bucket, prefix: root.prefix + "/")
        }
    }
}
