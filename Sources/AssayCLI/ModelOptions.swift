import ArgumentParser
import Assay
import AssayProviders
import Foundation

/// The options of `assay evaluate` that describe a live model.
struct ModelOptions: ParsableArguments {
    @Option(
        help:
            "The model to evaluate, as provider:/name: openai:/gpt-4o-mini, azure:/DEPLOYMENT, anthropic:/MODEL, ollama:/MODEL, endpoints:/NAME; your application as http(s)://URL or exec:COMMAND; runs:/RUN_ID/model for the model a past run evaluated; or models:/MODEL_ID for a model the mlflow client logged with mlflow.openai.log_model."
    )
    var model: String?

    @Option(
        help:
            "A model spec file (YAML or JSON): a provider model (model, messages, parameters, base_url, proxy_url, extra_headers), an HTTP endpoint (url, method, headers, body, response) or a command (command, input, env, response)."
    )
    var modelSpec: String?

    @Option(
        help:
            "For an http(s):// model: the JSON request body, with {column} placeholders inside its strings, e.g. '{\"question\": \"{inputs}\"}' (default: the row as a JSON object)."
    )
    var body: String?

    @Option(help: "For an http(s):// model: GET, POST, PUT or PATCH (default POST).")
    var method: String?

    @Option(
        help:
            "For an http(s):// or exec: model: where the answer is in its JSON reply, e.g. $.data.answer (default: plain text, or the reply's \"output\")."
    )
    var answerPath: String?

    @Option(
        help:
            "For an http(s):// or exec: model: where the retrieved documents are in its reply, e.g. $.documents[*].text; they become the row's context (default: the reply's \"context\")."
    )
    var contextPath: String?

    @Option(help: "The provider's base URL, e.g. http://127.0.0.1:8091/v1 for a local OpenAI-compatible server.")
    var baseURL: String?

    @Option(help: "A full request URL used verbatim (MLflow's proxy_url).")
    var proxyURL: String?

    @Option(name: .customLong("header"), help: "An extra request header, as 'Name: value' (repeatable).")
    var headers: [String] = []

    @Option(help: "The AI gateway for endpoints:/NAME models (else ASSAY_DEPLOYMENTS_TARGET).")
    var deploymentsTarget: String?

    @Option(help: "A system message sent before each row's prompt.")
    var systemPrompt: String?

    @Option(help: "The user message, with {column} placeholders filled from each row (default: {INPUTS-COLUMN}).")
    var prompt: String?

    @Option(help: "A YAML or JSON file with the messages (a list of role/content with {column} placeholders).")
    var messages: String?

    @Option(
        name: .customLong("param"),
        help:
            "An inference parameter, as name=value (repeatable): temperature=0, max_tokens=200, seed=1, stop=[\"\\n\"], response_format={\"type\":\"json_object\"}."
    )
    var parameters: [String] = []

    @Option(
        help:
            "A JSON or YAML file of tools (OpenAI tool schemas) offered to the model with each request; its tool calls get results and it goes on, step by step."
    )
    var tools: String?

    @Option(help: "With --tools: the dataset column holding each row's tool results, by tool name (and arguments).")
    var toolResponses = "tool_responses"

    @Option(
        help: "With --tools: an HTTP endpoint that runs the tools (it gets {\"name\", \"arguments\"} posted), instead of --tool-responses.")
    var toolEndpoint: String?

    @Option(help: "With --tools: the most model calls per row (each step is cached, retried and budgeted).")
    var maxSteps = 5

    @Flag(
        help:
            "With --tools: send a tool_choice parameter with every step, not the first only (for servers that cannot be left to choose, such as llama.cpp's with a small model)."
    )
    var keepToolChoice = false

    @Option(help: "Model calls in flight at once.")
    var concurrency = 8

    @Option(help: "Attempts per row on rate limits, server errors, timeouts and broken replies.")
    var maxRetries = 5

    @Option(help: "Seconds one request may take, up to the last byte of the reply.")
    var timeout: Double = 60

    @Option(help: "The longest pause in seconds between attempts, whatever a provider's Retry-After asks for.")
    var maxRetryPause: Double = 60

    @Option(help: "The response cache folder (else ASSAY_CACHE_DIR, else ~/.cache/assay).")
    var cacheDir: String?

    @Flag(help: "Neither read nor write the response cache.")
    var noCache = false

    @Flag(help: "Ask the model again and overwrite the cached answers.")
    var refreshCache = false

    @Option(
        help:
            "Answer each row this many times, as independent (separately cached) samples; each metric then reports its spread across samples, and pass/fail metrics pass@k and pass^k."
    )
    var `repeat` = 1

    @Option(name: .customLong("pass-k"), help: "k for pass@k and pass^k with --repeat (default: the number of samples).")
    var passK: Int?

    @Option(help: "A YAML or JSON file of prices: model: {input: USD per 1M tokens, output: USD per 1M tokens}.")
    var prices: String?

    @Option(help: "Stop sending requests once the run has spent this many US dollars.")
    var maxCost: Double?

    @Flag(help: "Count the prompt tokens and estimate the cost without sending anything.")
    var dryRun = false

    @Option(help: "The default judge model for judge metrics, as provider:/name (toxicity in the presets, answer_correctness, ...).")
    var judge: String?

    @Option(help: "The judge's base URL (default: the model's, when the judge has the model's provider).")
    var judgeBaseURL: String?

    @Option(help: "Ask each judge this many times per row; the row's score is the mean and the run reports the judge's consistency.")
    var judgeRepeats = 1

    var isLive: Bool { model != nil || modelSpec != nil }

    func validate() throws {
        guard concurrency > 0 else { throw ValidationError("--concurrency must be at least 1") }
        guard maxRetries > 0 else { throw ValidationError("--max-retries must be at least 1") }
        guard timeout > 0, timeout <= 86400 else { throw ValidationError("--timeout must be between 0 and 86400 seconds") }
        guard maxRetryPause >= 0, maxRetryPause <= 86400 else {
            throw ValidationError("--max-retry-pause must be between 0 and 86400 seconds")
        }
        guard `repeat` > 0 else { throw ValidationError("--repeat must be at least 1") }
        if let passK, passK < 1 || passK > `repeat` {
            throw ValidationError("--pass-k must be between 1 and --repeat (\(`repeat`))")
        }
        if noCache && refreshCache { throw ValidationError("--no-cache and --refresh-cache contradict each other") }
        if prompt != nil && messages != nil { throw ValidationError("give --prompt or --messages, not both") }
        if let maxCost, maxCost <= 0 { throw ValidationError("--max-cost must be positive") }
        guard judgeRepeats > 0 else { throw ValidationError("--judge-repeats must be at least 1") }
        guard maxSteps >= 1, maxSteps <= 100 else { throw ValidationError("--max-steps must be between 1 and 100") }
        if tools == nil, toolEndpoint != nil { throw ValidationError("--tool-endpoint goes with --tools") }
        if let toolEndpoint, !(toolEndpoint.hasPrefix("http://") || toolEndpoint.hasPrefix("https://")) {
            throw ValidationError("--tool-endpoint must be an http:// or https:// URL")
        }
    }

    /// The model's spec from the spec file (or, for `runs:/RUN_ID/model`, the `recordedSpec` file the
    /// caller found) and the command-line options laid over it.
    func spec(inputsColumn: String, recordedSpec: String? = nil) throws(AssayError) -> ModelSpecFile {
        let file: ModelSpecFile?
        if let recordedSpec {
            file = try ModelSpecFile.load(recordedSpec)
        } else if let modelSpec {
            file = try ModelSpecFile.load(modelSpec)
        } else {
            file = nil
        }
        if let model, recordedSpec == nil {
            if model.hasPrefix("http://") || model.hasPrefix("https://") {
                var spec = try EndpointSpec(url: model)
                if case .endpoint(let recorded) = file {
                    spec = recorded
                    spec.url = try PromptTemplate(model)
                }
                return .endpoint(try applicationOptions(spec))
            }
            if model.hasPrefix("exec:") {
                var spec = try CommandSpec(commandLine: String(model.dropFirst(5)))
                if case .command(let recorded) = file {
                    let line = spec
                    spec = recorded
                    (spec.program, spec.arguments) = (line.program, line.arguments)
                }
                return .command(try applicationOptions(spec))
            }
        }
        switch file {
        case .endpoint(let spec): return .endpoint(try applicationOptions(spec))
        case .command(let spec): return .command(try applicationOptions(spec))
        case .chat(var spec):
            if let model, recordedSpec == nil { spec.model = try ModelURI(model) }
            return .chat(try chatOptions(spec, inputsColumn: inputsColumn))
        case nil:
            guard let model else { throw .invalidInput("no model: give --model URI or --model-spec FILE") }
            return .chat(try chatOptions(ModelSpec(model: try ModelURI(model)), inputsColumn: inputsColumn))
        }
    }

    /// The options that apply to provider models only, by flag, when given.
    private var chatOnlyFlags: [String] {
        var flags: [String] = []
        if systemPrompt != nil { flags.append("--system-prompt") }
        if prompt != nil { flags.append("--prompt") }
        if messages != nil { flags.append("--messages") }
        if !parameters.isEmpty { flags.append("--param") }
        if baseURL != nil { flags.append("--base-url") }
        if proxyURL != nil { flags.append("--proxy-url") }
        return flags
    }

    private func applicationOptions(_ spec: EndpointSpec) throws(AssayError) -> EndpointSpec {
        if let flag = chatOnlyFlags.first {
            throw .invalidInput("\(flag) applies to provider models; an HTTP endpoint takes --body, --method, --header and --answer-path")
        }
        var spec = spec
        if let method {
            guard ["GET", "POST", "PUT", "PATCH"].contains(method.uppercased()) else {
                throw .invalidInput("--method must be GET, POST, PUT or PATCH, not \(method)")
            }
            spec.method = method.uppercased()
        }
        if let body {
            guard spec.method != "GET" else { throw .invalidInput("--body: a GET request has no body; put the row's values in the URL") }
            do {
                spec.body = try BodyTemplate(json: body)
            } catch {
                throw .invalidInput("--body: \(error.message)")
            }
        }
        for (name, value) in try headerPairs() { spec.headers[name] = value }
        spec.reply = try replyOptions(spec.reply)
        return spec
    }

    private func applicationOptions(_ spec: CommandSpec) throws(AssayError) -> CommandSpec {
        if let flag =
            (chatOnlyFlags + (body == nil ? [] : ["--body"]) + (method == nil ? [] : ["--method"])
            + (headers.isEmpty ? [] : ["--header"])).first
        {
            throw .invalidInput("\(flag) does not apply to a command; it reads the row on standard input (see --answer-path)")
        }
        var spec = spec
        spec.reply = try replyOptions(spec.reply)
        return spec
    }

    private func replyOptions(_ format: ReplyFormat) throws(AssayError) -> ReplyFormat {
        var format = format
        do {
            if let answerPath { format.output = try ReplyPath(answerPath) }
            if let contextPath {
                format.columns.removeAll { $0.name == ApplicationProtocol.contextKey }
                format.columns.insert((ApplicationProtocol.contextKey, try ReplyPath(contextPath)), at: 0)
            }
        } catch {
            throw .invalidInput("--answer-path/--context-path: \(error.message)")
        }
        return format
    }

    /// `--header 'Name: value'` as pairs.
    private func headerPairs() throws(AssayError) -> [(String, String)] {
        var pairs: [(String, String)] = []
        for header in headers {
            guard let colon = header.firstIndex(of: ":") else {
                throw .invalidInput("--header '\(header)' must look like 'Name: value'")
            }
            pairs.append(
                (
                    String(header[..<colon]).trimmingCharacters(in: .whitespaces),
                    String(header[header.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
                ))
        }
        return pairs
    }

    /// A provider model's spec with the prompt, parameter and connection options laid over it.
    private func chatOptions(_ spec: ModelSpec, inputsColumn: String) throws(AssayError) -> ModelSpec {
        if body != nil || method != nil || answerPath != nil || contextPath != nil {
            throw .invalidInput("--body, --method, --answer-path and --context-path apply to http(s):// and exec: models")
        }
        var spec = spec
        if let messages {
            spec.messages = try ModelSpec.loadMessages(messages)
        } else if prompt != nil || systemPrompt != nil || spec.messages.isEmpty {
            var templates = spec.messages.filter { $0.role == "system" }
            if let systemPrompt { templates = [MessageTemplate(role: "system", content: try PromptTemplate(systemPrompt))] }
            let existingUser = spec.messages.filter { $0.role != "system" }
            if let prompt {
                templates.append(MessageTemplate(role: "user", content: try PromptTemplate(prompt)))
            } else if !existingUser.isEmpty {
                templates += existingUser
            } else {
                templates.append(MessageTemplate(role: "user", content: try PromptTemplate("{\(inputsColumn)}")))
            }
            spec.messages = templates
        }
        for parameter in parameters {
            let (name, value) = try ModelSpec.parameter(parameter)
            spec.parameters[name] = value
        }
        if let baseURL { spec.baseURL = baseURL }
        if let proxyURL { spec.proxyURL = proxyURL }
        for (name, value) in try headerPairs() { spec.extraHeaders[name] = value }
        return spec
    }

    /// The models of a run: the model under test (if any) and the judges, sharing cache and budget.
    struct Models {
        /// The model under test.
        var model: (any LanguageModel)?
        /// The model under test when it is a provider's chat model (which a dry run estimates).
        var chat: ChatModel?
        var endpoint: EndpointModel?
        var command: CommandModel?
        var toolCalling: ToolCallingModel?
        var judges: JudgeModels?
        var defaultJudge: ChatModel?

        /// What the model under test did.
        var activity: ModelActivity? { chat?.activity ?? endpoint?.activity ?? command?.activity }

        func shutdown() async {
            await chat?.shutdown()
            await toolCalling?.shutdown()
            await endpoint?.shutdown()
            await judges?.shutdown()
        }
    }

    /// The models these options describe. Judges are made when a judge is named (`--judge`) or a judge
    /// definition names its own model (`needsJudges`).
    func makeModels(inputsColumn: String, needsJudges: Bool, recordedSpec: String? = nil) throws(AssayError) -> Models {
        var options = ProviderOptions()
        options.deploymentsTarget = deploymentsTarget
        options.concurrency = concurrency
        options.maxAttempts = maxRetries
        options.timeout = .milliseconds(Int(timeout * 1000))
        options.maxRetryPause = .milliseconds(Int(maxRetryPause * 1000))
        options.requiresKey = !dryRun
        let priceTable = try prices.map { path throws(AssayError) in try PriceTable.loading(path) } ?? .builtIn
        let policy: ChatModel.CachePolicy = noCache ? .bypass : (refreshCache ? .refresh : .use)
        let cache =
            policy == .bypass || dryRun
            ? nil : try ResponseCache(directory: cacheDir ?? ResponseCache.defaultDirectory())
        let budget = maxCost.map { CostBudget(limit: $0) }
        var models = Models()
        var modelSpec: ModelSpec?
        if isLive {
            switch try spec(inputsColumn: inputsColumn, recordedSpec: recordedSpec) {
            case .chat(let spec):
                modelSpec = spec
                let chat = try ChatModel(
                    spec: spec, options: options, cache: cache, cachePolicy: policy, prices: priceTable, budget: budget)
                (models.model, models.chat) = (chat, chat)
                if let tools {
                    let results: ToolResults = toolEndpoint.map { .endpoint($0) } ?? .column(toolResponses)
                    let agent = try ToolCallingModel(
                        chat: chat, tools: try ToolCallingModel.loadTools(tools), results: results, maxSteps: maxSteps,
                        keepsToolChoice: keepToolChoice, options: options,
                        cache: policy == .use ? cache : nil)
                    (models.model, models.toolCalling) = (agent, agent)
                }
            case .endpoint(let spec):
                if tools != nil { throw .invalidInput("--tools applies to provider models; an application runs its own tools") }
                if dryRun { throw .invalidInput("--dry-run estimates what a provider's model costs; an HTTP endpoint has no price table") }
                let endpoint = try EndpointModel(spec: spec, options: options, cache: cache, cachePolicy: policy, budget: budget)
                (models.model, models.endpoint) = (endpoint, endpoint)
            case .command(let spec):
                if tools != nil { throw .invalidInput("--tools applies to provider models; an application runs its own tools") }
                if dryRun { throw .invalidInput("--dry-run estimates what a provider's model costs; a command has no price table") }
                let command = try CommandModel(spec: spec, options: options, cache: cache, cachePolicy: policy, budget: budget)
                (models.model, models.command) = (command, command)
            }
        }
        if judge != nil || needsJudges {
            var judgeOptions = options
            judgeOptions.baseURL = nil
            let judgeURI = try judge.map { text throws(AssayError) in try ModelURI(text) }
            if let judgeBaseURL {
                judgeOptions.baseURL = judgeBaseURL
            } else if let judgeURI, let modelSpec, judgeURI.provider == modelSpec.model.provider {
                judgeOptions.baseURL = modelSpec.baseURL
            }
            let judges = JudgeModels(options: judgeOptions, cache: cache, cachePolicy: policy, prices: priceTable, budget: budget)
            models.judges = judges
            models.defaultJudge = try judgeURI.map { uri throws(AssayError) in try judges.model(uri) }
        }
        return models
    }
}
