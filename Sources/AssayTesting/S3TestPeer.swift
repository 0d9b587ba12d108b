public import AssayS3
import Foundation

/// The S3-compatible server `scripts/test` starts (moto's, checking signatures), from the variables it
/// sets: `ASSAY_S3_ENDPOINT`, `ASSAY_S3_ACCESS_KEY_ID`, `ASSAY_S3_SECRET_ACCESS_KEY`, `ASSAY_S3_BUCKET`.
public enum S3TestPeer {
    /// The server's configuration, or nil when the variables are not set (the S3 tests then skip).
    public static var configuration: S3Configuration? {
        let env = ProcessInfo.processInfo.environment
        guard let endpoint = env["ASSAY_S3_ENDPOINT"], let key = env["ASSAY_S3_ACCESS_KEY_ID"],
            let secret = env["ASSAY_S3_SECRET_ACCESS_KEY"]
        else { return nil }
        return try? S3Configuration.fromEnvironment([
            "AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret, "MLFLOW_S3_ENDPOINT_URL": endpoint,
        ])
    }

    /// The bucket the tests write to.
    public static var bucket: String { ProcessInfo.processInfo.environment["ASSAY_S3_BUCKET"] ?? "assay-test" }
}
