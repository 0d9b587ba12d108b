import Assay
import AssayMLflowAPI
import Foundation
import Hummingbird

/// MLflow's GraphQL endpoint (`POST` or `GET /graphql`), which MLflow's web UI reads runs, metric
/// histories, artifacts and datasets through. Each root field is answered by the REST route it
/// mirrors (`mlflowGetRun` by `runs/get`, with `input` as its fields), and the answer is shaped by the
/// query's selections over ``GraphQLSchema``. The answer is `{"data": …, "errors": [messages] | null}`
/// with status 200, as MLflow's server gives it; the same limits guard it against expensive queries.
///
/// ```
/// curl -s localhost:5000/graphql -H 'content-type: application/json' \
///   -d '{"query": "{ mlflowGetRun(input: {runId: \"…\"}) { run { info { status } data { metrics { key value } } } } }"}'
/// ```
struct MLflowGraphQL {
    let api: MLflowAPI
    /// Root fields of one operation, and aliases on one level (MLflow's `MLFLOW_SERVER_GRAPHQL_MAX_*`).
    var maxRootFields = 10
    var maxAliases = 10
    static let maxDepth = 10
    static let maxSelections = 1000

    init(api: MLflowAPI, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.api = api
        if let n = environment["MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS"].flatMap(Int.init) { maxRootFields = n }
        if let n = environment["MLFLOW_SERVER_GRAPHQL_MAX_ALIASES"].flatMap(Int.init) { maxAliases = n }
    }

    func addRoutes(to router: RouterGroup<AssayRequestContext>) {
        let graphQL = self
        for path in ["/graphql", "/ajax-api/graphql"] {
            router.post(RouterPath(path)) { request, _ in
                var request = request
                let fields = try MLflowAPI.object(try await request.body(upTo: graphQL.api.maxJSONBytes, within: graphQL.api.bodyTimeout))
                return await graphQL.answer(fields)
            }
            router.get(RouterPath(path)) { request, _ in
                var fields = ProtoJSON.fields(query: request.uri.query)
                if case .string(let text)? = fields["variables"] { fields["variables"] = (try? DataValue(json: text)) ?? .null }
                return await graphQL.answer(fields)
            }
        }
    }

    /// The response to a request's `query`, `operationName` and `variables`.
    func answer(_ request: [String: DataValue]) async -> Response {
        guard case .string(let query)? = request["query"] else {
            return Self.response(data: .null, errors: ["Must provide a query string in the 'query' field."], status: .badRequest)
        }
        let document: GraphQLDocument
        do {
            document = try GraphQLDocument(parsing: query)
        } catch {
            return Self.response(data: .null, errors: [error.message], status: .badRequest)
        }
        var operationName: String?
        if case .string(let name)? = request["operationName"] { operationName = name }
        var variables: [String: DataValue] = [:]
        if case .object(let given)? = request["variables"] { variables = given }
        do {
            try check(document)
            let (data, errors) = try await execute(document, operationName: operationName, variables: variables)
            return Self.response(data: data, errors: errors, status: .ok)
        } catch {
            return Self.response(data: .null, errors: [error.message], status: .ok)
        }
    }

    static func response(data: DataValue, errors: [String], status: HTTPResponse.Status) -> Response {
        let body: DataValue = .object(["data": data, "errors": errors.isEmpty ? .null : .list(errors.map(DataValue.string))])
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body.description)))
    }

    // MARK: - Limits

    /// MLflow's guards, in its order: depth and total selections while walking the operations, then
    /// root fields, then aliases on any one level (fragments count where they are spread).
    func check(_ document: GraphQLDocument) throws(GraphQLError) {
        var rootFields = 0, mostAliases = 0, selections = 0
        for operation in document.operations {
            var stack: [(selections: [GraphQLDocument.Selection], depth: Int)] = [(operation.selections, 1)]
            while let (level, depth) = stack.popLast() {
                guard depth <= Self.maxDepth else { throw GraphQLError("Query exceeds maximum depth of \(Self.maxDepth)") }
                let fields = Self.fields(of: level, fragments: document.fragments)
                for field in fields {
                    if depth == 1 { rootFields += 1 }
                    if !field.selections.isEmpty { stack.append((field.selections, depth + 1)) }
                    selections += 1
                    guard selections <= Self.maxSelections else {
                        throw GraphQLError("Query exceeds maximum total selections of \(Self.maxSelections)")
                    }
                }
                mostAliases = max(mostAliases, fields.filter { $0.alias != nil }.count)
            }
        }
        func limit(_ what: String, _ most: Int, _ got: Int, _ variable: String) -> GraphQLError {
            GraphQLError(
                "GraphQL queries should have at most \(most) \(what), got \(got) \(what). To increase the limit, set the \(variable) environment variable."
            )
        }
        if rootFields > maxRootFields { throw limit("root fields", maxRootFields, rootFields, "MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS") }
        if mostAliases > maxAliases { throw limit("aliases", maxAliases, mostAliases, "MLFLOW_SERVER_GRAPHQL_MAX_ALIASES") }
    }

    /// The fields of one level, with inline fragments and spread fragments merged in (each fragment once;
    /// a fragment spread inside itself goes one level deeper each time, which the depth limit stops).
    static func fields(
        of selections: [GraphQLDocument.Selection], fragments: [String: [GraphQLDocument.Selection]]
    ) -> [GraphQLDocument.Field] {
        var fields: [GraphQLDocument.Field] = []
        var visited: Set<String> = []
        var queue = selections[...]
        while let selection = queue.popFirst() {
            switch selection {
            case .field(let field): fields.append(field)
            case .inline(let nested): queue.append(contentsOf: nested)
            case .fragment(let name):
                if visited.insert(name).inserted, let nested = fragments[name] { queue.append(contentsOf: nested) }
            }
        }
        return fields
    }

    // MARK: - Execution

    func execute(
        _ document: GraphQLDocument, operationName: String?, variables given: [String: DataValue]
    ) async throws(GraphQLError) -> (DataValue, [String]) {
        let operation: GraphQLDocument.Operation
        if let operationName {
            guard let named = document.operations.first(where: { $0.name == operationName }) else {
                throw GraphQLError("Unknown operation named '\(operationName)'.")
            }
            operation = named
        } else {
            guard document.operations.count == 1 else {
                throw GraphQLError("Must provide operation name if query contains multiple operations.")
            }
            operation = document.operations[0]
        }
        try Self.refuseCycles(document.fragments)
        let variables = operation.variableDefaults.merging(given) { _, new in new }
        let roots = operation.kind == "mutation" ? GraphQLSchema.mutations : GraphQLSchema.queries
        let rootType = operation.kind == "mutation" ? "Mutation" : "Query"
        var context = Context(graphQL: self, document: document, variables: variables)
        let fields = Self.merged(Self.fields(of: operation.selections, fragments: document.fragments))
        // Validation first, as GraphQL does: an unknown field anywhere answers no data at all.
        for field in fields where field.name != "__typename" {
            guard let root = roots[field.name] else { throw GraphQLError("Cannot query field '\(field.name)' on type '\(rootType)'.") }
            try context.validate(field.selections, on: root.type)
        }
        var data: [(String, DataValue)] = []
        for field in fields {
            if field.name == "__typename" {
                data.append((field.responseKey, .string(rootType)))
                continue
            }
            let root = roots[field.name]!
            do {
                let answer = try await resolve(root, field, variables: variables)
                data.append((field.responseKey, try await context.project(answer, type: root.type, field.selections)))
            } catch {
                context.errors.append(Self.message(error))
                data.append((field.responseKey, .null))
            }
        }
        return (.object(Dictionary(data, uniquingKeysWith: { first, _ in first })), context.errors)
    }

    /// The answer of the REST route a root field mirrors, its `input` argument becoming the route's fields.
    func resolve(_ root: GraphQLSchema.RootField, _ field: GraphQLDocument.Field, variables: [String: DataValue]) async throws -> DataValue
    {
        guard let path = root.route else {
            return .object(["output": field.arguments["inputString"]?.resolved(variables) ?? .null])
        }
        var input: [String: DataValue] = [:]
        if case .object(let members) = field.arguments["input"]?.resolved(variables) ?? .null {
            for (key, value) in members where !value.isNull { input[GraphQLSchema.snakeCase(key)] = value }
        }
        return try await answer(path, input, field: field.name)
    }

    /// What the REST route at `path` answers to these fields.
    func answer(_ path: String, _ fields: [String: DataValue], field: String) async throws -> DataValue {
        guard let route = MLflowAPI.routes.first(where: { $0.path == path }) else {
            throw APIError("ENDPOINT_NOT_FOUND", "\(field) needs the model registry, which this server does not keep.")
        }
        return try await route.handle(api, fields, false)
    }

    /// A fragment that spreads itself, directly or through others, as GraphQL's validation refuses it.
    static func refuseCycles(_ fragments: [String: [GraphQLDocument.Selection]]) throws(GraphQLError) {
        func spreads(_ selections: [GraphQLDocument.Selection]) -> [String] {
            selections.flatMap { selection -> [String] in
                switch selection {
                case .fragment(let name): [name]
                case .inline(let nested): spreads(nested)
                case .field(let field): spreads(field.selections)
                }
            }
        }
        let edges = fragments.mapValues(spreads)
        for start in fragments.keys.sorted() {
            var seen: Set<String> = []
            var stack = edges[start] ?? []
            while let next = stack.popLast() {
                if next == start { throw GraphQLError("Cannot spread fragment '\(start)' within itself.") }
                if seen.insert(next).inserted { stack += edges[next] ?? [] }
            }
        }
    }

    /// Fields of one level that share a response key, as one field with their selections together.
    static func merged(_ fields: [GraphQLDocument.Field]) -> [GraphQLDocument.Field] {
        var order: [String] = []
        var byKey: [String: GraphQLDocument.Field] = [:]
        for field in fields {
            if var existing = byKey[field.responseKey] {
                existing.selections += field.selections
                byKey[field.responseKey] = existing
            } else {
                order.append(field.responseKey)
                byKey[field.responseKey] = field
            }
        }
        return order.map { byKey[$0]! }
    }

    static func message(_ error: any Error) -> String {
        switch error {
        case let error as APIError: error.message
        case let error as AssayError: error.message
        case let error as GraphQLError: error.message
        default: String(describing: error)
        }
    }

    /// What one execution carries: the document, the variables and the errors of fields that failed.
    struct Context {
        let graphQL: MLflowGraphQL
        let document: GraphQLDocument
        let variables: [String: DataValue]
        var errors: [String] = []

        init(graphQL: MLflowGraphQL, document: GraphQLDocument, variables: [String: DataValue]) {
            self.graphQL = graphQL
            self.document = document
            self.variables = variables
        }

        func fields(_ selections: [GraphQLDocument.Selection]) -> [GraphQLDocument.Field] {
            MLflowGraphQL.merged(MLflowGraphQL.fields(of: selections, fragments: document.fragments))
        }

        func validate(_ selections: [GraphQLDocument.Selection], on type: String) throws(GraphQLError) {
            guard let members = GraphQLSchema.types[type] else { return }
            if selections.isEmpty {
                throw GraphQLError("Field of type '\(type)' must have a selection of subfields.")
            }
            for field in fields(selections) where field.name != "__typename" {
                guard let fieldType = members[field.name] else {
                    throw GraphQLError("Cannot query field '\(field.name)' on type '\(type)'.")
                }
                if let object = fieldType.objectName {
                    guard !field.selections.isEmpty else {
                        throw GraphQLError(
                            "Field '\(field.name)' of type '\(fieldType.name)' must have a selection of subfields. Did you mean '\(field.name) { ... }'?"
                        )
                    }
                    try validate(field.selections, on: object)
                } else if !field.selections.isEmpty {
                    throw GraphQLError(
                        "Field '\(field.name)' must not have a selection since type '\(fieldType.name)' has no subfields.")
                }
            }
        }

        /// `value` (an object of the REST answer, snake_case keys) shaped by `selections` as a `type`.
        mutating func project(
            _ value: DataValue, type: String, _ selections: [GraphQLDocument.Selection]
        ) async throws -> DataValue {
            guard case .object(let members) = value else { return .null }
            let schema = GraphQLSchema.types[type] ?? [:]
            var out: [(String, DataValue)] = []
            for field in fields(selections) {
                if field.name == "__typename" {
                    out.append((field.responseKey, .string(type)))
                    continue
                }
                let fieldType = schema[field.name] ?? .string
                var raw = members[GraphQLSchema.snakeCase(field.name)]
                if type == "MlflowRunExtension" {
                    // The two fields MLflow adds to a run: its experiment, and the model versions made from it.
                    if field.name == "experiment", case .object(let info)? = members["info"], let id = info["experiment_id"] {
                        raw = try? await graphQL.answer("experiments/get", ["experiment_id": id], field: "experiment").objectValue?[
                            "experiment"]
                    } else if field.name == "modelVersions" {
                        raw = .list([])
                    }
                }
                out.append((field.responseKey, try await convert(raw, fieldType, field)))
            }
            return .object(Dictionary(out, uniquingKeysWith: { first, _ in first }))
        }

        /// One field's value as its GraphQL type has it. A field the answer leaves out has its protocol
        /// default (MLflow's messages are proto2: "" for a string, 0 for a number, an empty message).
        mutating func convert(
            _ raw: DataValue?, _ type: GraphQLSchema.FieldType, _ field: GraphQLDocument.Field
        ) async throws -> DataValue {
            if field.name == "apiError" { return .null }
            switch type {
            case .list(let element):
                guard case .list(let items)? = raw else { return .list([]) }
                var out: [DataValue] = []
                for item in items { out.append(try await convert(item, element, field)) }
                return .list(out)
            case .object(let name):
                if field.name == "experiment", raw == nil { return .null }
                return try await project(raw ?? .object([:]), type: name, field.selections)
            case .string:
                switch raw {
                case .string(let s)?: return .string(s)
                case nil, .null?: return field.name == "effectiveTraceArchivalRetention" ? .null : .string("")
                case let other?: return .string(other.description)
                }
            case .enumeration:
                return raw ?? .null
            case .boolean:
                if case .bool(let b)? = raw { return .bool(b) }
                return .bool(false)
            case .float:
                switch raw {
                case .double(let d)?: return d.isFinite ? .double(d) : .null
                case .int(let i)?: return .double(Double(i))
                case nil: return .double(0)
                default: return .null  // "NaN" and the infinities: GraphQL's Float cannot hold them
                }
            case .int, .long:
                let number: Int64? =
                    switch raw {
                    case .int(let i)?: Int64(i)
                    case .double(let d)? where d.isFinite: Int64(d)
                    case .string(let s)?: Int64(s)
                    case nil: 0
                    default: nil
                    }
                guard let number else { return .null }
                return type.name == "Int" ? .int(Int(number)) : .string(String(number))
            }
        }
    }
}
