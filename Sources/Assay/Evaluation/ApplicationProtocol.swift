import Foundation

/// How Assay talks to an application it evaluates, unless told otherwise: a command
/// (`assay evaluate --model exec:./answer`) reads one request on standard input and prints one reply;
/// an HTTP endpoint (`--model http://…`) gets the request as its body and answers with the reply.
///
/// - The **request** is the row as one JSON object, a member per column:
///   `{"inputs": "What is MLflow?", "ground_truth": "…"}`.
/// - The **reply** is plain text (the answer), or a JSON object with `output` (the answer, any JSON
///   value) and optionally `context` (what the application retrieved, for `faithfulness`,
///   `relevance` and the judges), `usage` (`{"prompt_tokens": N, "completion_tokens": N}`) and `cost`
///   (US dollars): `{"output": "MLflow is…", "context": ["doc 1", "doc 2"]}`. A reply
///   `{"error": "…"}` records that message as the row's error.
///
/// An executable target written in Swift serves the protocol with ``serve(_:)``:
///
/// ```swift
/// // Sources/answer/main.swift
/// import Assay
/// exit(await ApplicationProtocol.serve { row in
///     ModelResponse(output: .string("You asked: " + row["inputs"].text))
/// })
/// ```
///
/// and is evaluated with `assay evaluate data.jsonl --model exec:.build/debug/answer`.
public enum ApplicationProtocol {
    /// The member of a reply that holds the answer.
    public static let outputKey = "output"
    /// The member of a reply that holds the retrieved context.
    public static let contextKey = "context"
    /// The member of a reply that holds an error message.
    public static let errorKey = "error"

    /// The request for a row: its columns as one JSON object.
    public static func request(for row: DataRow) -> DataValue {
        var members: [String: DataValue] = [:]
        for (i, name) in row.columns.names.enumerated() where members[name] == nil {
            members[name] = i < row.values.count ? row.values[i] : .null
        }
        return .object(members)
    }

    /// Reads a request back into a row, for an application written in Swift.
    public static func row(fromRequest text: String) throws(AssayError) -> DataRow {
        let value: DataValue
        do {
            value = try DataValue(json: text)
        } catch {
            throw .invalidInput("the request is not JSON: \(error.message)")
        }
        guard case .object(let members) = value else {
            throw .invalidInput("the request must be a JSON object (a member per column), not \(value.kindName)")
        }
        let names = members.keys.sorted()
        return DataRow(columns: ColumnIndex(names), values: names.map { members[$0]! })
    }

    /// The reply for a response: `{"output": …, "context": …, "usage": …, "cost": …}`.
    public static func reply(_ response: ModelResponse) -> DataValue {
        var members: [String: DataValue] = [outputKey: response.output]
        for (name, value) in response.otherOutputs { members[name] = value }
        if let usage = response.usage {
            members["usage"] = .object(
                ["prompt_tokens": .int(usage.promptTokens), "completion_tokens": .int(usage.completionTokens)])
        }
        if let cost = response.cost, cost.isFinite { members["cost"] = .double(cost) }
        return .object(members)
    }

    /// Answers one request from standard input on standard output, for an executable target that a
    /// command model runs once per row. Returns the exit status: 0 when answered, 1 (with the reason on
    /// standard error) when the request could not be read or `answer` threw.
    public static func serve(_ answer: (DataRow) async throws -> ModelResponse) async -> Int32 {
        var input: [UInt8] = []
        while let line = readLine(strippingNewline: false) { input += line.utf8 }
        do {
            let row = try row(fromRequest: String(decoding: input, as: UTF8.self))
            let response = try await answer(row)
            print(reply(response).description)
            return 0
        } catch let error as AssayError {
            FileHandle.standardError.write(Data((error.message + "\n").utf8))
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
        }
        return 1
    }
}
