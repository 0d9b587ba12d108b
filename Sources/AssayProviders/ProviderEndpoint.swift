public import Assay
import Foundation

/// How Assay reaches a model provider: base URLs, proxies, headers, timeouts and retries.
///
/// Secrets come only from the environment (`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`, ...), never from
/// files or command-line options, so they are never written anywhere.
public struct ProviderOptions: Sendable {
    /// A base URL that replaces the provider's (for OpenAI: any OpenAI-compatible server's `/v1` URL).
    public var baseURL: String?
    /// A full request URL used verbatim instead of the provider's (MLflow's `proxy_url`).
    public var proxyURL: String?
    /// Headers added to every request, after (and overriding) the provider's own (MLflow's `extra_headers`).
    public var extraHeaders: [String: String] = [:]
    /// The AI gateway for `endpoints:/NAME` models (else ASSAY_DEPLOYMENTS_TARGET).
    public var deploymentsTarget: String?
    /// How long one request may take, from sending it to the last byte of the reply (a reply that trickles
    /// its body is cut off like one that never answers).
    public var timeout: Duration = .seconds(60)
    /// The longest pause between attempts. A provider's Retry-After, retry-after-ms or rate-limit reset
    /// header asking for longer (or for NaN, or a negative or unreadable time) is held to this.
    public var maxRetryPause: Duration = .seconds(60)
    /// Attempts per row, the first included, on 429, 5xx, timeouts, broken connections and bodies.
    public var maxAttempts = 5
    /// Requests in flight at once (the adaptive limiter may lower it after 429s).
    public var concurrency = 8
    /// Whether a missing API key is an error now. A dry run, which sends nothing, sets it to false.
    public var requiresKey = true
    /// The environment variables to read keys and defaults from.
    public var environment: [String: String] = ProcessInfo.processInfo.environment

    /// Default options.
    public init() {}
}

/// A provider resolved to a concrete request: where to send it, with which headers, in which dialect.
public struct ProviderEndpoint: Sendable {
    /// The request bodies and replies a provider speaks.
    public enum Dialect: String, Sendable {
        /// OpenAI chat completions (also Ollama and OpenAI-compatible servers).
        case openAI
        /// Azure OpenAI: like OpenAI, without `model` in the body.
        case azure
        /// Anthropic's Messages API.
        case anthropic
        /// An AI gateway endpoint: `{"messages": [...], params}`, replies in OpenAI's shape.
        case gateway
    }

    /// The model URI this endpoint serves.
    public var uri: ModelURI
    /// The full request URL.
    public var url: String
    /// Request headers, secrets included (never logged, never cached).
    public var headers: [(String, String)]
    /// The dialect.
    public var dialect: Dialect

    /// Resolves a model URI with options and environment; a missing key or setting is an error that
    /// names the variable to set, raised before any row runs.
    public init(_ uri: ModelURI, options: ProviderOptions) throws(AssayError) {
        let env = options.environment
        func value(_ names: String...) -> String? {
            for name in names { if let v = env[name], !v.isEmpty { return v } }
            return nil
        }
        self.uri = uri
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        var url: String
        var dialect: Dialect
        var provider = uri.provider
        let apiType = value("OPENAI_API_TYPE")?.lowercased()
        if provider == .openai, apiType == "azure" || apiType == "azuread" { provider = .azure }

        switch provider {
        case .openai:
            let base = options.baseURL ?? value("OPENAI_BASE_URL", "OPENAI_API_BASE") ?? "https://api.openai.com/v1"
            let key = value("OPENAI_API_KEY")
            if key == nil, base.contains("api.openai.com"), options.proxyURL == nil, options.requiresKey {
                throw .needs(.baseURL, "\(uri) needs an API key: set OPENAI_API_KEY (or give the base URL of a local server)")
            }
            if let key { headers.append(("Authorization", "Bearer \(key)")) }
            if let organization = value("OPENAI_ORGANIZATION") { headers.append(("OpenAI-Organization", organization)) }
            url = Self.join(base, "chat/completions")
            dialect = .openAI
        case .azure:
            guard let base = options.baseURL ?? value("AZURE_OPENAI_ENDPOINT", "OPENAI_API_BASE", "OPENAI_BASE_URL") else {
                throw .needs(.baseURL, "\(uri) needs the Azure endpoint: set AZURE_OPENAI_ENDPOINT or OPENAI_API_BASE (or give a base URL)")
            }
            guard let key = value("AZURE_OPENAI_API_KEY", "OPENAI_API_KEY") ?? (options.requiresKey ? nil : "") else {
                throw .invalidInput("\(uri) needs an API key: set AZURE_OPENAI_API_KEY or OPENAI_API_KEY")
            }
            let version = value("OPENAI_API_VERSION", "AZURE_OPENAI_API_VERSION") ?? "2024-06-01"
            let deployment = uri.provider == .azure ? uri.model : (value("OPENAI_DEPLOYMENT_NAME") ?? uri.model)
            if apiType == "azuread" {
                headers.append(("Authorization", "Bearer \(key)"))
            } else {
                headers.append(("api-key", key))
            }
            url = Self.join(base, "openai/deployments/\(deployment)/chat/completions") + "?api-version=\(version)"
            dialect = .azure
        case .anthropic:
            guard let key = value("ANTHROPIC_API_KEY") ?? (options.requiresKey ? nil : "") else {
                throw .invalidInput("\(uri) needs an API key: set ANTHROPIC_API_KEY")
            }
            let base = options.baseURL ?? value("ANTHROPIC_BASE_URL") ?? "https://api.anthropic.com/v1"
            headers.append(("x-api-key", key))
            headers.append(("anthropic-version", "2023-06-01"))
            url = Self.join(base, "messages")
            dialect = .anthropic
        case .ollama:
            var base = options.baseURL ?? value("OLLAMA_HOST") ?? "http://localhost:11434"
            if !base.hasPrefix("http") { base = "http://" + base }
            if !base.hasSuffix("/v1") { base = Self.join(base, "v1") }
            url = Self.join(base, "chat/completions")
            dialect = .openAI
        case .endpoints:
            guard let target = options.deploymentsTarget ?? value("ASSAY_DEPLOYMENTS_TARGET", "MLFLOW_DEPLOYMENTS_TARGET") else {
                throw .needs(.gatewayAddress, "\(uri) needs the gateway's address: set ASSAY_DEPLOYMENTS_TARGET (or give it)")
            }
            url = Self.join(target, "endpoints/\(uri.model)/invocations")
            dialect = .gateway
        }
        if let proxy = options.proxyURL { url = proxy }
        for (name, value) in options.extraHeaders.sorted(by: { $0.key < $1.key }) {
            headers.removeAll { $0.0.lowercased() == name.lowercased() }
            headers.append((name, value))
        }
        guard URL(string: url)?.scheme?.hasPrefix("http") == true else {
            throw .invalidInput("\(uri): '\(url)' is not an http(s) URL")
        }
        self.url = url
        self.headers = headers
        self.dialect = dialect
    }

    private static func join(_ base: String, _ path: String) -> String {
        (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/" + path
    }
}
