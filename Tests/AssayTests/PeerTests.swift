import Foundation
import Testing

/// The real programs the gated suites talk to. Plain `swift test` skips each one it was not given and
/// says which variable enables it; `scripts/test` installs and starts them all and sets the variables.
/// When a variable is set, its peer must really answer, so a misconfigured run fails here first.
@Suite struct PeerTests {
    static let environment = ProcessInfo.processInfo.environment

    /// The exit status and output of a program run to the end.
    static func run(_ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    @Test(.enabled(if: environment["ASSAY_POSTGRES_URL"] != nil, "PostgreSQL: set ASSAY_POSTGRES_URL, or run scripts/test"))
    func postgresAnswers() throws {
        let (status, output) = try Self.run(["psql", Self.environment["ASSAY_POSTGRES_URL"]!, "-tA", "-c", "SELECT 1"])
        #expect(status == 0 && output.contains("1"), "\(output)")
    }

    @Test(.enabled(if: environment["ASSAY_LLM_URL"] != nil, "the local LLM: set ASSAY_LLM_URL, or run scripts/test"))
    func theLocalModelAnswers() throws {
        let (status, output) = try Self.run(["curl", "-fsS", "-m", "10", Self.environment["ASSAY_LLM_URL"]! + "/models"])
        #expect(status == 0 && output.contains("\"data\""), "\(output)")
    }

    @Test(
        .enabled(if: environment["ASSAY_MLFLOW_PYTHON"] != nil, "the official mlflow client: set ASSAY_MLFLOW_PYTHON, or run scripts/test"))
    func theMLflowClientImports() throws {
        let (status, output) = try Self.run([Self.environment["ASSAY_MLFLOW_PYTHON"]!, "-c", "import mlflow; print(mlflow.__version__)"])
        #expect(status == 0, "\(output)")
    }

    @Test(.enabled(if: environment["ASSAY_OTEL_PYTHON"] != nil, "the OpenTelemetry SDK: set ASSAY_OTEL_PYTHON, or run scripts/test"))
    func theOpenTelemetryExporterImports() throws {
        let (status, output) = try Self.run([
            Self.environment["ASSAY_OTEL_PYTHON"]!, "-c", "import opentelemetry.exporter.otlp.proto.http.trace_exporter",
        ])
        #expect(status == 0, "\(output)")
    }

    @Test(.enabled(if: environment["ASSAY_CHROMIUM"] != nil, "the browser test: set ASSAY_CHROMIUM to Chromium, or run scripts/test"))
    func chromiumStarts() throws {
        let (status, output) = try Self.run([Self.environment["ASSAY_CHROMIUM"]!, "--headless", "--no-sandbox", "--version"])
        #expect(status == 0 && output.lowercased().contains("chrom"), "\(output)")
    }

    @Test(.enabled(if: environment["ASSAY_S3_ENDPOINT"] != nil, "the S3-compatible server: set ASSAY_S3_ENDPOINT, or run scripts/test"))
    func theS3ServerAnswers() throws {
        // Unsigned, it is refused: it checks signatures.
        let (status, output) = try Self.run(["curl", "-sS", "-m", "10", Self.environment["ASSAY_S3_ENDPOINT"]! + "/"])
        #expect(status == 0 && output.contains("Error"), "\(output)")
    }

    @Test(.enabled(if: environment["ASSAY_NGINX"] != nil, "the load balancer of the replica test: set ASSAY_NGINX, or run scripts/test"))
    func nginxRuns() throws {
        let (status, output) = try Self.run([Self.environment["ASSAY_NGINX"]!, "-v"])
        #expect(status == 0 && output.contains("nginx"), "\(output)")
    }
}
