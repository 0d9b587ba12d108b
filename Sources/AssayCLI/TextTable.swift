/// Plain-text tables for terminal output.
enum TextTable {
    /// Renders rows (the first is the header) as aligned columns, each cell cut to `maxWidth` characters.
    static func render(_ rows: [[String]], maxWidth: Int = 48) -> String {
        let cut = rows.map { $0.map { clip($0, maxWidth) } }
        let columns = cut.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in cut { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        var lines: [String] = []
        for (r, row) in cut.enumerated() {
            let line = row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
            }.joined(separator: "  ")
            lines.append(line)
            if r == 0 { lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
        }
        return lines.joined(separator: "\n")
    }

    /// One line of at most `width` characters: line breaks shown as spaces, an ellipsis where cut.
    static func clip(_ text: String, _ width: Int) -> String {
        let flat = String(text.map { $0.isNewline ? " " : $0 })
        return flat.count <= width ? flat : String(flat.prefix(width - 1)) + "…"
    }
}
