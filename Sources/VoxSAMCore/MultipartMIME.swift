import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The MIME multipart grammar (RFC 2046) both ways: `multipart/form-data` that MONAI Label clients
/// send `voxsam serve`, and `multipart/related` that DICOMweb servers answer WADO-RS with and take
/// STOW-RS in. Strict and bounded: a body that does not follow the grammar is refused with what is
/// wrong, never guessed at.
public enum MultipartMIME {
    /// One part: its headers (names lower-cased) and its bytes.
    public struct Part: Sendable, Equatable {
        public var headers: [String: String]
        public var body: Data
        public init(headers: [String: String], body: Data) { self.headers = headers; self.body = body }
    }

    /// What is wrong with a body (the caller says whose body it was).
    public struct Malformed: Error, Equatable {
        public var message: String
    }

    /// At most this many header bytes per part.
    public static let maxHeaderBytes = 8192

    /// The media type (lower-cased) and the boundary of a `Content-Type: multipart/…; boundary=…` value.
    public static func boundary(contentType: String?) throws -> (type: String, boundary: String) {
        guard let contentType else { throw Malformed(message: "no Content-Type") }
        let fields = parameters(contentType)
        let type = fields.value.lowercased()
        guard type.hasPrefix("multipart/") else { throw Malformed(message: "Content-Type is `\(fields.value.prefix(80))`, not multipart") }
        guard let b = fields.params["boundary"], (1...70).contains(b.utf8.count), !b.contains("\r"), !b.contains("\n") else {
            throw Malformed(message: "the Content-Type has no usable boundary (1 to 70 characters)")
        }
        return (type, b)
    }

    /// The parts of `body`, in order (at most `maxParts`).
    public static func parse(_ body: Data, boundary: String, maxParts: Int) throws -> [Part] {
        try locate(body, boundary: boundary, maxParts: maxParts).map { p in
            Part(headers: p.headers, body: body.subdata(in: (body.startIndex + p.range.lowerBound)..<(body.startIndex + p.range.upperBound)))
        }
    }

    /// Where the parts of `body` are: their headers and their bytes' offsets from `body.startIndex`
    /// (nothing is copied: a memory-mapped body of a whole DICOM series stays on disk).
    public static func locate(_ body: Data, boundary: String, maxParts: Int) throws -> [(headers: [String: String], range: Range<Int>)] {
        let delimiter = Array(("--" + boundary).utf8)
        let crlfDelimiter = Array(("\r\n--" + boundary).utf8)
        return try body.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> [(headers: [String: String], range: Range<Int>)] in
            func fail(_ m: String) -> Malformed { Malformed(message: m) }
            // The first delimiter: at the start, or after a preamble ending in CRLF.
            var at: Int
            if raw.count >= delimiter.count, memcmp(raw.baseAddress!, delimiter, delimiter.count) == 0 {
                at = delimiter.count
            } else if let p = find(crlfDelimiter, in: raw, from: 0) {
                at = p + crlfDelimiter.count
            } else {
                throw fail("the boundary given in Content-Type never occurs in the body")
            }
            var parts: [(headers: [String: String], range: Range<Int>)] = []
            while true {
                // After a delimiter: `--` ends the body, else optional spaces and CRLF start a part.
                if at + 2 <= raw.count, raw[at] == UInt8(ascii: "-"), raw[at + 1] == UInt8(ascii: "-") { return parts }
                while at < raw.count, raw[at] == UInt8(ascii: " ") || raw[at] == UInt8(ascii: "\t") { at += 1 }
                guard at + 2 <= raw.count, raw[at] == 13, raw[at + 1] == 10 else {
                    throw fail(at >= raw.count ? "the body ends before the closing boundary (truncated?)" : "a boundary line is not followed by CRLF")
                }
                at += 2
                guard parts.count < maxParts else { throw fail("more than \(maxParts) parts") }
                // Headers end at CRLF CRLF; a part without headers starts right after its delimiter's CRLF.
                let headerEnd: Int
                if at + 2 <= raw.count, raw[at] == 13, raw[at + 1] == 10 {
                    headerEnd = at - 2
                } else if let e = find(Array("\r\n\r\n".utf8), in: raw, from: at, limit: maxHeaderBytes + 4) {
                    headerEnd = e
                } else {
                    throw fail("part \(parts.count + 1) has no end of headers within \(maxHeaderBytes) bytes")
                }
                let headerText = headerEnd > at ? String(decoding: UnsafeRawBufferPointer(rebasing: raw[at..<headerEnd]), as: UTF8.self) : ""
                let bodyStart = headerEnd + 4
                guard let bodyEnd = find(crlfDelimiter, in: raw, from: bodyStart) else {
                    throw fail("part \(parts.count + 1) never ends (no closing boundary: truncated?)")
                }
                var headers: [String: String] = [:]
                for line in headerText.components(separatedBy: "\r\n") where !line.isEmpty {
                    guard let colon = line.firstIndex(of: ":") else { throw fail("part \(parts.count + 1) has a header line without `:`") }
                    let key = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                    if headers[key] == nil { headers[key] = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces) }
                }
                parts.append((headers, bodyStart..<bodyEnd))
                at = bodyEnd + crlfDelimiter.count
            }
        }
    }

    /// A body of `parts` (each with its header lines, in order) and its boundary.
    public static func encode(_ parts: [(headers: [(String, String)], body: Data)], boundary: String = "voxsam-" + UUID().uuidString) -> Data {
        var d = Data()
        for p in parts {
            d.append(Data("--\(boundary)\r\n".utf8))
            for (k, v) in p.headers { d.append(Data("\(k): \(v)\r\n".utf8)) }
            d.append(Data("\r\n".utf8))
            d.append(p.body)
            d.append(Data("\r\n".utf8))
        }
        d.append(Data("--\(boundary)--\r\n".utf8))
        return d
    }

    /// `value; key=v; key2="v 2"` → the value and its parameters (keys lower-cased; quotes and
    /// backslash escapes removed).
    public static func parameters(_ header: String) -> (value: String, params: [String: String]) {
        var params: [String: String] = [:]
        let chars = Array(header)
        var i = 0
        func skipSpaces() { while i < chars.count, chars[i] == " " || chars[i] == "\t" { i += 1 } }
        var value = ""
        while i < chars.count, chars[i] != ";" { value.append(chars[i]); i += 1 }
        while i < chars.count {
            i += 1  // the `;`
            skipSpaces()
            var key = ""
            while i < chars.count, chars[i] != "=", chars[i] != ";" { key.append(chars[i]); i += 1 }
            key = key.trimmingCharacters(in: .whitespaces).lowercased()
            guard i < chars.count, chars[i] == "=" else { continue }
            i += 1
            skipSpaces()
            var v = ""
            if i < chars.count, chars[i] == "\"" {
                i += 1
                while i < chars.count, chars[i] != "\"" {
                    if chars[i] == "\\", i + 1 < chars.count { i += 1 }
                    v.append(chars[i]); i += 1
                }
                i += 1
                while i < chars.count, chars[i] != ";" { i += 1 }
            } else {
                while i < chars.count, chars[i] != ";" { v.append(chars[i]); i += 1 }
                v = v.trimmingCharacters(in: .whitespaces)
            }
            if !key.isEmpty, params[key] == nil { params[key] = v }
        }
        return (value.trimmingCharacters(in: .whitespaces), params)
    }

    /// The offset of `needle` in `raw` at or after `from` (searching at most `limit` bytes when given).
    static func find(_ needle: [UInt8], in raw: UnsafeRawBufferPointer, from: Int, limit: Int? = nil) -> Int? {
        guard let base = raw.baseAddress, !needle.isEmpty, from >= 0 else { return nil }
        let end = min(raw.count, limit.map { from + $0 } ?? raw.count)
        var i = from
        let first = Int32(needle[0])
        while i + needle.count <= end {
            guard let hit = memchr(base + i, first, end - i - needle.count + 1) else { return nil }
            let p = base.distance(to: UnsafeRawPointer(hit))
            if memcmp(base + p, needle, needle.count) == 0 { return p }
            i = p + 1
        }
        return nil
    }
}
