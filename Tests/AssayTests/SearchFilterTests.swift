import Assay
import AssayTesting
import Testing

@Suite struct SearchFilterTests {
    @Test func parsesEntitiesQuotingAndComparators() throws {
        let filter = try SearchFilter(
            #"metrics.accuracy >= 0.5 AND params."model name" = 'gpt' and tags.`mlflow.runName` ILIKE 'run-%' and "#
                + #"attributes.run_id IN ('a', "b") and tags.stage IS NOT NULL and Created < 1e3 and `Run name` != 'x'"#,
            for: .runs)
        let shape = filter.conditions.map { "\($0.key.entity) \($0.key.key) \($0.comparator.rawValue) \($0.value)" }
        #expect(
            shape == [
                "metric accuracy >= number(0.5)", #"param model name = string("gpt")"#,
                #"tag mlflow.runName ILIKE string("run-%")"#, #"attribute run_id IN list(["a", "b"])"#,
                "tag stage IS NOT NULL none", "attribute start_time < number(1000.0)", #"attribute run_name != string("x")"#,
            ])
        #expect(try SearchFilter("tags.mlflow.loggedArtifacts LIKE '%x%'", for: .runs).conditions[0].key.key == "mlflow.loggedArtifacts")
        #expect(try SearchFilter("", for: .runs).conditions.isEmpty)
        #expect(try SearchFilter("metrics.loss < -1.5e-3", for: .runs).conditions[0].value == .number(-0.0015))
    }

    @Test func filtersRenderBackToTheGrammar() throws {
        let original = try SearchFilter(
            #"metrics.`a b` > 0.5 and params.model = 'it''s' and tags.t IS NULL and run_id IN ('x', 'y') and created >= 5"#, for: .runs)
        #expect(
            original.text
                == #"metrics.`a b` > 0.5 AND params.`model` = 'it''s' AND tags.`t` IS NULL AND attributes.run_id IN ('x', 'y') AND attributes.start_time >= 5"#
        )
        #expect(try SearchFilter(original.text, for: .runs) == original)
        let order = try SearchOrder.parse(["metrics.loss", "attributes.start_time DESC"], for: .runs)
        #expect(order.map(\.text) == ["metrics.`loss` ASC", "attributes.start_time DESC"])
    }

    @Test func badFiltersSayWhatIsWrong() async {
        func message(_ text: String) async -> String? {
            await errorMessage { _ = try SearchFilter(text, for: .runs) }
        }
        #expect(await message("metrics.accuracy >> 1")?.hasPrefix("Invalid comparator '>>'") == true)
        #expect(await message("params.model = gpt")?.hasPrefix("Parameter value is either not quoted") == true)
        #expect(await message("attributes.x = 'y'")?.hasPrefix("Invalid attribute key 'x' specified.") == true)
        #expect(await message("foo.x = 'y'")?.hasPrefix("Invalid entity type 'foo'.") == true)
        #expect(await message("metrics.accuracy = 'high'")?.hasPrefix("Expected numeric value type for metric.") == true)
        #expect(await message("params.a = 'x' or params.b = 'y'")?.contains("Provide AND-ed expression list") == true)
        #expect(await message("attributes.status IN ('RUNNING')")?.hasPrefix("Invalid comparator 'IN'") == true)
        #expect(await message("metrics.loss IS NULL")?.hasPrefix("Invalid comparator 'IS NULL'") == true)
        #expect(await message("params.a = 'unclosed")?.contains("unclosed") == true)
        let experimentMetric = await errorMessage { _ = try SearchFilter("metrics.a > 1", for: .experiments) }
        #expect(experimentMetric?.hasPrefix("Invalid entity type 'metrics'") == true)
        let duplicate = await errorMessage { _ = try SearchOrder.parse(["metrics.a", "metrics.a DESC"], for: .runs) }
        #expect(duplicate?.contains("duplicate") == true)
        let direction = await errorMessage { _ = try SearchOrder.parse(["metrics.a UP"], for: .runs) }
        #expect(direction?.contains("ASC or DESC") == true)
    }

    @Test func pageTokensAreMLflowsBase64Offsets() async throws {
        #expect(PageToken.encode(offset: 2) == "eyJvZmZzZXQiOiAyfQ==")
        #expect(try PageToken.offset("eyJvZmZzZXQiOiAyfQ==") == 2)
        #expect(try PageToken.offset(nil) == 0)
        #expect(await errorMessage { _ = try PageToken.offset("garbage!") } == "Invalid page token 'garbage!'")
    }
}
