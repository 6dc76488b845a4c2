import VoxSAMCore

/// A small RFC 4180 CSV reader: a header row, then rows of fields; quoted fields may hold commas,
/// quotes (doubled) and line breaks. Used for prompts files.
struct CSVTable {
    var header: [String]
    /// Each row with the line it started on (1-based).
    var rows: [(line: Int, fields: [String])]

    static func parse(_ text: String, path: String) throws -> CSVTable {
        var records: [(Int, [String])] = []
        var field = "", fields: [String] = []
        var inQuotes = false, line = 1, recordLine = 1, afterQuote = false
        var chars = Array(text.replacingOccurrences(of: "\r\n", with: "\n"))
        if chars.first == "\u{FEFF}" { chars.removeFirst() }
        var i = 0
        func endRecord() {
            fields.append(field); field = ""
            if !(fields.count == 1 && fields[0].trimmingCharacters(in: .whitespaces).isEmpty) { records.append((recordLine, fields)) }
            fields = []
        }
        while i < chars.count {
            let c = chars[i]
            if inQuotes {
                if c == "\"" {
                    if i + 1 < chars.count && chars[i + 1] == "\"" { field.append("\""); i += 1 } else { inQuotes = false; afterQuote = true }
                } else {
                    if c == "\n" { line += 1 }
                    field.append(c)
                }
            } else {
                switch c {
                case "\"" where field.trimmingCharacters(in: .whitespaces).isEmpty && !afterQuote:
                    field = ""; inQuotes = true
                case ",":
                    fields.append(field); field = ""; afterQuote = false
                case "\n":
                    endRecord(); line += 1; recordLine = line; afterQuote = false
                default:
                    field.append(c)
                }
            }
            i += 1
        }
        if inQuotes { throw VoxSAMError(.invalidArgument, "a quoted field starting on line \(recordLine) is never closed", path: path) }
        if !field.isEmpty || !fields.isEmpty { endRecord() }
        guard let first = records.first else { throw VoxSAMError(.invalidArgument, "the CSV file is empty; it needs a header row", path: path) }
        let header = first.1.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        return CSVTable(header: header, rows: records.dropFirst().map { (line: $0.0, fields: $0.1) })
    }
}
