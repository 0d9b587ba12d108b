import Foundation

/// A word-level diff of two texts as HTML: words only in the new text in `<ins>`, words only in the old
/// one in `<del>`, both escaped.
enum WordDiff {
    static func html(from old: String, to new: String) -> String {
        let a = words(old), b = words(new)
        // Words match by their letters, whatever whitespace follows them (the last item of a list has none).
        let ka = a.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) },
            kb = b.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        // Long texts: the quadratic table would cost more than the view is worth.
        guard a.count * b.count <= 4_000_000 else {
            return old == new ? HTML.escape(new) : "<del>\(HTML.escape(old))</del> <ins>\(HTML.escape(new))</ins>"
        }
        var lcs = [[Int32]](repeating: [Int32](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                lcs[i][j] = ka[i] == kb[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        var out = ""
        var (i, j) = (0, 0)
        func emit(_ tag: String?, _ word: String) {
            let escaped = HTML.escape(word)
            out += tag.map { "<\($0)>\(escaped)</\($0)>" } ?? escaped
        }
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, ka[i] == kb[j] {
                emit(nil, b[j]); i += 1; j += 1
            } else if i < a.count, j == b.count || lcs[i + 1][j] >= lcs[i][j + 1] {
                // Removed words before added ones, as a reader expects a replacement.
                emit("del", a[i]); i += 1
            } else {
                emit("ins", b[j]); j += 1
            }
        }
        return out.replacingOccurrences(of: "</ins><ins>", with: "").replacingOccurrences(of: "</del><del>", with: "")
    }

    /// Words with the whitespace after each, so the output keeps the text's spacing.
    static func words(_ text: String) -> [String] {
        var result: [String] = []
        var current = ""
        var inSpace = false
        for c in text {
            if c.isWhitespace {
                inSpace = true
                current.append(c)
            } else {
                if inSpace, !current.isEmpty {
                    result.append(current)
                    current = ""
                }
                inSpace = false
                current.append(c)
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }
}
