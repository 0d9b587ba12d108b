import Foundation

/// Where artifacts are, as MLflow writes it, parsed once: `mlflow-artifacts:/1/<run>/artifacts` (through
/// a tracking server's proxy, optionally naming the server: `mlflow-artifacts://host:5000/…`),
/// `runs:/<run id>/<path>`, `models:/<name>/<version or stage>`, `file:///…` or a plain absolute path.
///
/// ```swift
/// ArtifactURI("mlflow-artifacts:/1/ab12/artifacts")   // .proxied(host: nil, path: "1/ab12/artifacts")
/// ArtifactURI("runs:/ab12/model")                     // .run(id: "ab12", path: "model")
/// ```
public enum ArtifactURI: Sendable, Equatable, CustomStringConvertible {
    /// Behind a tracking server's artifact proxy; `path` is below the proxy's root.
    case proxied(host: String?, path: String)
    /// A path within a run's artifacts.
    case run(id: String, path: String)
    /// A registered model: its name and the rest (a version or stage, maybe a path).
    case model(name: String, rest: String)
    /// A local file or folder.
    case file(path: String)
    /// Any other scheme (`s3://…`, `dbfs:/…`), kept as given.
    case other(String)

    public init(_ text: String) {
        if let rest = Self.after("mlflow-artifacts:", in: text) {
            if rest.hasPrefix("//") {
                let hostAndPath = rest.dropFirst(2)
                let slash = hostAndPath.firstIndex(of: "/") ?? hostAndPath.endIndex
                let host = String(hostAndPath[..<slash])
                self = .proxied(host: host.isEmpty ? nil : host, path: Self.trimmed(hostAndPath[slash...]))
            } else {
                self = .proxied(host: nil, path: Self.trimmed(rest[...]))
            }
        } else if let rest = Self.after("runs:", in: text) {
            let parts = Self.trimmed(rest[...]).split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            self = .run(id: parts.first.map(String.init) ?? "", path: parts.count > 1 ? String(parts[1]) : "")
        } else if let rest = Self.after("models:", in: text) {
            let parts = Self.trimmed(rest[...]).split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            self = .model(name: parts.first.map(String.init) ?? "", rest: parts.count > 1 ? String(parts[1]) : "")
        } else if let rest = Self.after("file://", in: text) {
            self = .file(path: rest.removingPercentEncoding ?? rest)
        } else if let rest = Self.after("file:", in: text) {
            self = .file(path: rest)
        } else if text.hasPrefix("/") {
            self = .file(path: text)
        } else {
            self = .other(text)
        }
    }

    /// The URI as MLflow writes it.
    public var description: String {
        switch self {
        case .proxied(let host?, let path): "mlflow-artifacts://\(host)/\(path)"
        case .proxied(nil, let path): "mlflow-artifacts:/\(path)"
        case .run(let id, let path): path.isEmpty ? "runs:/\(id)" : "runs:/\(id)/\(path)"
        case .model(let name, let rest): rest.isEmpty ? "models:/\(name)" : "models:/\(name)/\(rest)"
        case .file(let path): "file://\(path)"
        case .other(let text): text
        }
    }

    private static func after(_ scheme: String, in text: String) -> String? {
        guard text.count >= scheme.count, text.prefix(scheme.count).lowercased() == scheme else { return nil }
        return String(text.dropFirst(scheme.count))
    }

    private static func trimmed(_ text: Substring) -> String {
        String(text.drop { $0 == "/" })
    }
}
