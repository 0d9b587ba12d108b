import PropertyBased
import Testing

@testable import Assay

/// ROUGE's MLflow tokenizer against its definition (rouge_score's): lower-case the whole text, then
/// each run of `a-z` and `0-9` is a token. The tokenizer lowers ASCII token by token and lower-cases
/// the whole text only when it has other characters; random text from an alphabet with upper case,
/// accents, the Kelvin sign (which lower-cases to an ASCII "k"), dotted capital I and emoji checks both.
@Suite struct RougeTokenizerTests {
    static func definition(_ text: String) -> [String] {
        text.lowercased().utf8.split { !(($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39)) }
            .map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func mlflowTokensAreRunsOfLowerCaseLettersAndDigits() async {
        let alphabet = Array("aBz09 Z.,-\n\u{212A}ÉéİßẞK🙂q")
        let characters = Gen<Character?>.element(of: alphabet).map { $0 ?? "x" }
        await propertyCheck(count: 500, input: characters.string(of: 0...30)) { text in
            var scratch = TextScratch()
            let ids = RougeTokenizer.mlflow.tokenIDs(text, scratch: &scratch)
            // The definition's tokens, already lower-case ASCII, through the same interner: the same ids.
            let expected = Self.definition(text)
            let expectedIDs = RougeTokenizer.mlflow.tokenIDs(expected.joined(separator: " "), scratch: &scratch)
            #expect(ids == expectedIDs, "\(text.debugDescription): \(ids) against \(expected) (\(expectedIDs))")
        }
    }
}
