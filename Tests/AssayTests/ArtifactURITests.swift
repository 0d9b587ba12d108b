import Assay
import Testing

/// Every URI kind MLflow writes, parsed once and written back the same.
@Suite struct ArtifactURITests {
    @Test func eachKindParsesAndPrintsBack() {
        let cases: [(String, ArtifactURI)] = [
            ("mlflow-artifacts:/1/ab12/artifacts", .proxied(host: nil, path: "1/ab12/artifacts")),
            ("mlflow-artifacts://127.0.0.1:5000/1/ab12/artifacts", .proxied(host: "127.0.0.1:5000", path: "1/ab12/artifacts")),
            ("runs:/ab12/model", .run(id: "ab12", path: "model")),
            ("runs:/ab12", .run(id: "ab12", path: "")),
            ("models:/chat/3", .model(name: "chat", rest: "3")),
            ("file:///tmp/assay-artifacts/0", .file(path: "/tmp/assay-artifacts/0")),
            ("s3://bucket/prefix", .other("s3://bucket/prefix")),
        ]
        for (text, expected) in cases {
            #expect(ArtifactURI(text) == expected, "\(text)")
            #expect(ArtifactURI(text).description == text, "\(text) prints back")
        }
        // A plain absolute path is a file, written back as a file URI.
        #expect(ArtifactURI("/srv/artifacts") == .file(path: "/srv/artifacts"))
        #expect(ArtifactURI("mlflow-artifacts:///0/r").description == "mlflow-artifacts:/0/r")
    }
}
