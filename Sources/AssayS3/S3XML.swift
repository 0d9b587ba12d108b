import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The small XML documents S3 answers with (listings, errors, multipart uploads), read as the text
/// of each element under its path of element names: `ListBucketResult/Contents/Key`.
struct S3XML {
    struct Element {
        var path: [String]
        var text: String
    }

    private(set) var elements: [Element] = []

    /// Parses `data`; a document that is not XML has no elements.
    init(_ data: Data) {
        let reader = Reader()
        let parser = XMLParser(data: data)
        parser.delegate = reader
        parser.shouldResolveExternalEntities = false
        _ = parser.parse()
        elements = reader.elements
    }

    /// The text of the first element whose path ends with `suffix`.
    func first(_ suffix: String...) -> String? {
        elements.first { $0.path.suffix(suffix.count).elementsEqual(suffix) }?.text
    }

    /// The texts of every element whose path ends with `suffix`, in document order.
    func all(_ suffix: String...) -> [String] {
        elements.filter { $0.path.suffix(suffix.count).elementsEqual(suffix) }.map(\.text)
    }

    /// For each element named `parent`, the texts of its direct children by name (one listing entry each).
    /// Children end before their parent, so a parent's record closes the group of the children before it.
    func groups(_ parent: String) -> [[String: String]] {
        var groups: [[String: String]] = []
        var current: [String: String] = [:]
        for element in elements {
            if element.path.last == parent {
                groups.append(current)
                current = [:]
            } else if element.path.count >= 2, element.path[element.path.count - 2] == parent {
                current[element.path.last!] = element.text
            }
        }
        return groups
    }

    /// Escapes text for an XML element's content.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
            of: ">", with: "&gt;"
        )
        .replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&apos;")
    }

    private final class Reader: NSObject, XMLParserDelegate {
        var elements: [Element] = []
        var path: [String] = []
        var texts: [String] = []

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            path.append(elementName)
            texts.append("")
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if !texts.isEmpty { texts[texts.count - 1] += string }
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            elements.append(Element(path: path, text: texts.removeLast()))
            path.removeLast()
        }
    }
}
