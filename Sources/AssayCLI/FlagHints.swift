import Assay

/// The one place where the library's requirements become this tool's flags: an error or a skipped
/// metric that needs something the user can give says which flag gives it.
enum FlagHints {
    static func flag(for requirement: Requirement) -> String {
        switch requirement {
        case .predictionsColumn: "--predictions COLUMN"
        case .targetsColumn: "--targets COLUMN"
        case .columnMapping(let argument): "--col-map \(argument)=COLUMN"
        case .judgeModel: "--judge URI (for example --judge openai:/gpt-4o-mini)"
        case .regexPattern: "--regex PATTERN"
        case .containsKeywords: "--contains word1,word2"
        case .price: "--prices FILE"
        case .baseURL: "--base-url URL"
        case .gatewayAddress: "--deployments-target URL"
        }
    }

    /// The error's message, with the flag that supplies what it needs.
    static func message(_ error: AssayError) -> String {
        guard let requirement = error.requirement else { return error.message }
        return "\(error.message): give \(flag(for: requirement))"
    }

    /// Why a metric was skipped, with the flag that would make it run.
    static func reason(_ skipped: SkippedMetric) -> String {
        guard let requirement = skipped.requirement else { return skipped.reason }
        return "\(skipped.reason): give \(flag(for: requirement))"
    }
}
