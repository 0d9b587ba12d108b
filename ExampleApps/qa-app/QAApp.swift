import Assay

/// A small question-answering application: it retrieves the documents of its corpus that share the
/// most words with the question and answers with the best one's first sentence. It stands for your
/// own code (a RAG service, an agent, a rules engine) in the example of evaluating a Swift application.
///
/// Evaluate it in-process from Swift:
///
/// ```swift
/// let model = ClosureModel("qa-app") { row in QAApp.answer(row) }
/// let result = try await evaluate(data, model: model, targets: "ground_truth", extraMetrics: [.exactMatch])
/// ```
///
/// or from the command line, as a command that speaks Assay's application protocol:
///
/// ```
/// swift build --product qa-app
/// swift run assay evaluate examples/qa.jsonl --targets ground_truth \
///   --model exec:.build/debug/qa-app --model-type question-answering
/// ```
enum QAApp {
    struct Document {
        var id: String
        var text: String
    }

    static let corpus: [Document] = [
        Document(id: "mlflow", text: "MLflow is an open-source platform for the machine learning lifecycle. It tracks experiments and packages models."),
        Document(id: "spark", text: "Apache Spark is a distributed engine for large-scale data processing. It has APIs in Scala, Java, Python and R."),
        Document(id: "swift", text: "Swift is a general-purpose, compiled programming language developed by Apple. It is fast and safe."),
        Document(id: "france", text: "Paris is the capital of France. It lies on the Seine."),
        Document(id: "spider", text: "Eight. A spider has eight legs, unlike insects, which have six."),
        Document(id: "sql", text: "Structured Query Language. SQL stands for it and is used to query relational databases."),
        Document(id: "orwell", text: "George Orwell wrote the novel Nineteen Eighty-Four. It was published in 1949."),
        Document(id: "water", text: "100 degrees Celsius is the boiling point of water at sea level. At altitude it is lower."),
        Document(id: "llm", text: "A large language model is a neural network trained on large amounts of text. It predicts the next token."),
        Document(id: "light", text: "About 299,792 kilometres per second is the speed of light in a vacuum."),
        Document(id: "postgres", text: "PostgreSQL is an open-source object-relational database system. It dates from 1986."),
        Document(id: "mercury", text: "Mercury is the planet closest to the Sun. It has no moons."),
    ]

    /// Answers a row's `inputs`: the answer, the two documents retrieved (as the row's `context`) and
    /// their ids (`retrieved_ids`, for the retriever metrics).
    static func answer(_ row: DataRow) -> ModelResponse {
        let question = words(row["inputs"].text)
        let ranked = corpus.map { document in (document, words(document.text).intersection(question).count) }
            .filter { $0.1 > 0 }
            .sorted { $0.1 > $1.1 }
            .prefix(2)
            .map(\.0)
        guard let best = ranked.first else {
            return ModelResponse(output: .string("I do not know."), otherOutputs: ["context": .list([]), "retrieved_ids": .list([])])
        }
        let firstSentence = best.text.split(separator: ".", maxSplits: 1).first.map { String($0) + "." } ?? best.text
        return ModelResponse(
            output: .string(firstSentence),
            otherOutputs: [
                "context": .list(ranked.map { .string($0.text) }),
                "retrieved_ids": .list(ranked.map { .string($0.id) }),
            ])
    }

    private static let stopWords: Set = ["what", "is", "the", "a", "of", "in", "does", "do", "how", "who", "which", "at", "to", "it", "and"]

    static func words(_ text: String) -> Set<String> {
        Set(
            text.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init).filter { !stopWords.contains($0) })
    }
}
