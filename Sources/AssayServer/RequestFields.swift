import Assay
import AssayMLflowAPI

/// The fields of a query string or a form (`a=1&b=x&b=y`), percent-decoded, `+` as space, a repeated key
/// read as a list: what the web UI and the artifact proxy's listing read. API requests are decoded into
/// MLflow's message types instead (``MLflowAPI``).
struct RequestFields {
    private let fields: [String: DataValue]

    init(query string: String?) {
        fields = ProtoJSON.fields(query: string)
    }

    /// A field's value (the first, when repeated).
    func string(_ name: String) throws(APIError) -> String? {
        switch fields[name] {
        case .string(let s)?: s
        case .list(let items)?: items.first?.stringValue
        default: nil
        }
    }

    /// Every value of a repeated field.
    func strings(_ name: String) throws(APIError) -> [String] {
        switch fields[name] {
        case .string(let s)?: [s]
        case .list(let items)?: items.compactMap(\.stringValue)
        default: []
        }
    }
}
