import AssayStoreSQL
import PropertyBased
import Testing

@testable import AssayStorePostgres
@testable import AssayStoreSQLite

/// A statement's text and arguments as each dialect writes them: placeholders numbered from 1 in the
/// order of their values (past 9 and 99 too), lists as one array argument or one placeholder a value.
@Suite struct SQLRenderTests {
    static let sqlite = SQLiteDatabase.dialect
    static let postgres = PostgresDatabase.dialect

    @Test func valuesAndListsInBothDialects() {
        let ids = ["a", "b", "c"]
        let statement: SQL = "SELECT key FROM params WHERE run_uuid = \("r1") AND \("key", in: ids) AND step > \(3)"
        let lite = Self.sqlite.render(statement)
        #expect(lite.text == "SELECT key FROM params WHERE run_uuid = ?1 AND key IN (?2, ?3, ?4) AND step > ?5")
        #expect(lite.arguments == [.value(.text("r1")), .value(.text("a")), .value(.text("b")), .value(.text("c")), .value(.integer(3))])
        let pg = Self.postgres.render(statement)
        #expect(pg.text == "SELECT key FROM params WHERE run_uuid = $1 AND key = ANY($2) AND step > $3")
        #expect(pg.arguments == [.value(.text("r1")), .list([.text("a"), .text("b"), .text("c")]), .value(.integer(3))])
        let none = Self.sqlite.render("SELECT 1 WHERE \("key", in: [String]())")
        #expect(none.text == "SELECT 1 WHERE 1 = 0" && none.arguments.isEmpty)
    }

    @Test func placeholdersPastOneAndTwoDigits() {
        let rows = (0..<120).map { i -> SQL in "(\(i), \("k\(i)"))" }
        let (text, arguments) = Self.sqlite.render("INSERT INTO t VALUES \(SQL.joined(rows, separator: ", "))")
        #expect(arguments.count == 240)
        #expect(text.hasPrefix("INSERT INTO t VALUES (?1, ?2), (?3, ?4), (?5, ?6), (?7, ?8), (?9, ?10), (?11, ?12)"))
        #expect(text.contains("(?99, ?100)") && text.hasSuffix("(?239, ?240)"))
    }

    /// Any mix of text, values and lists: the placeholders are 1...n in order, one per argument, and
    /// the text between them is the raw text as given.
    @Test func placeholdersNumberTheArgumentsInOrder() async {
        let raw = Gen<Character>.letterOrNumber.string(of: 0...6).map { SQL(raw: " \($0) ") }
        // Spaced apart, as statements are (`1 = 0` right after `?1` would read as `?11`).
        let number = Gen<Int>.int(in: -5...5).map { " \($0) " as SQL }
        let list = Gen<Int>.int(in: 0...4).map { n in " \("c", in: Array(0..<n)) " as SQL }
        let text = Gen<Character>.letterOrNumber.string(of: 0...4).map { " \($0) " as SQL }
        let part = Gen<SQL>.oneOf(raw, number, list, text)
        await propertyCheck(count: 300, input: part.array(of: 0...40)) { parts in
            let statement = parts.reduce(SQL(raw: ""), +)
            for dialect in [Self.sqlite, Self.postgres] {
                let (text, arguments) = dialect.render(statement)
                let prefix = dialect.placeholderPrefix
                var numbers: [Int] = []
                var rest = Substring(text)
                while let at = rest.firstIndex(of: prefix) {
                    let digits = rest[rest.index(after: at)...].prefix(while: \.isNumber)
                    numbers.append(Int(digits) ?? -1)
                    rest = rest[digits.endIndex...]
                }
                #expect(numbers == (0..<arguments.count).map { $0 + 1 }, "\(text)")
            }
        }
    }
}
