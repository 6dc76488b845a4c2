import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One part of a `multipart/form-data` body (RFC 7578): a form field, or a file when it has a file name.
public struct MultipartPart: Sendable, Equatable {
    public var name: String
    public var filename: String?
    public var contentType: String?
    public var body: Data

    public init(name: String, filename: String? = nil, contentType: String? = nil, body: Data) {
        self.name = name; self.filename = filename; self.contentType = contentType; self.body = body
    }

    /// The body as UTF-8 text (a form field).
    public var text: String? { String(data: body, encoding: .utf8) }
}

/// The `multipart/form-data` grammar, both ways: the one parser for what MONAI Label clients send
/// (`requests` and `http.client` bodies) and the writer of the replies their `cgi` parser reads.
/// Strict and bounded: a body that does not follow the grammar is refused with what is wrong,
/// never guessed at.
public enum Multipart {
    /// At most this many parts by default; more is refused.
    public static let maxParts = 32
    /// At most this many header bytes per part.
    public static let maxHeaderBytes = 8192

    /// The boundary of a `Content-Type: multipart/form-data; boundary=…` value.
    public static func boundary(contentType: String?) throws -> String {
        guard let contentType else { throw APIError.badRequest("malformed multipart: no Content-Type; expected multipart/form-data") }
        let fields = parameters(contentType)
        guard fields.value.lowercased() == "multipart/form-data" else {
            throw APIError.badRequest("malformed multipart: Content-Type is `\(fields.value.prefix(80))`, expected multipart/form-data")
        }
        guard let b = fields.params["boundary"], (1...70).contains(b.utf8.count), !b.contains("\r"), !b.contains("\n") else {
            throw APIError.badRequest("malformed multipart: the Content-Type has no usable boundary (1 to 70 characters)")
        }
        return b
    }

    /// The parts of a request body with this Content-Type. MONAI Label's client (0.8.5, also in its
    /// Slicer plugin) keeps the Content-Type of its last multipart request in its shared header
    /// dictionary once a token is set, and sends it again with the next upload made by `requests`
    /// (`create_session`), whose body has its own boundary: when the declared boundary never occurs
    /// and the body starts with a delimiter line, that line's boundary is used.
    public static func parse(_ body: Data, contentType: String?, maxParts: Int = maxParts) throws -> [MultipartPart] {
        let declared = try boundary(contentType: contentType)
        do {
            return try parse(body, boundary: declared, maxParts: maxParts)
        } catch let e as APIError where e.message.contains("never occurs") {
            let head = body.prefix(80)
            guard head.starts(with: Data("--".utf8)), let end = head.firstIndex(of: 13), end + 1 < body.endIndex, body[end + 1] == 10 else { throw e }
            let own = String(decoding: head[(head.startIndex + 2)..<end], as: UTF8.self)
            guard (1...70).contains(own.utf8.count), own != declared else { throw e }
            return try parse(body, boundary: own, maxParts: maxParts)
        }
    }

    /// The parts of `body`, in order.
    public static func parse(_ body: Data, boundary: String, maxParts: Int = maxParts) throws -> [MultipartPart] {
        let delimiter = Array(("--" + boundary).utf8)
        let crlfDelimiter = Array(("\r\n--" + boundary).utf8)
        return try body.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> [MultipartPart] in
            func fail(_ m: String) -> APIError { .badRequest("malformed multipart: " + m) }
            // The first delimiter: at the start, or after a preamble ending in CRLF.
            var at: Int
            if raw.count >= delimiter.count, memcmp(raw.baseAddress!, delimiter, delimiter.count) == 0 {
                at = delimiter.count
            } else if let p = find(crlfDelimiter, in: raw, from: 0) {
                at = p + crlfDelimiter.count
            } else {
                throw fail("the boundary given in Content-Type never occurs in the body")
            }
            var parts: [MultipartPart] = []
            while true {
                // After a delimiter: `--` ends the body, else optional spaces and CRLF start a part.
                if at + 2 <= raw.count, raw[at] == UInt8(ascii: "-"), raw[at + 1] == UInt8(ascii: "-") { return parts }
                while at < raw.count, raw[at] == UInt8(ascii: " ") || raw[at] == UInt8(ascii: "\t") { at += 1 }
                guard at + 2 <= raw.count, raw[at] == 13, raw[at + 1] == 10 else {
                    throw fail(at >= raw.count ? "the body ends before the closing boundary (truncated upload?)" : "a boundary line is not followed by CRLF")
                }
                at += 2
                guard parts.count < maxParts else { throw fail("more than \(maxParts) parts") }
                guard let headerEnd = find(Array("\r\n\r\n".utf8), in: raw, from: at - 2, limit: maxHeaderBytes + 4) else {
                    throw fail("part \(parts.count + 1) has no end of headers within \(maxHeaderBytes) bytes")
                }
                let headerText = headerEnd > at ? String(decoding: UnsafeRawBufferPointer(rebasing: raw[at..<headerEnd]), as: UTF8.self) : ""
                let bodyStart = headerEnd + 4
                guard let bodyEnd = find(crlfDelimiter, in: raw, from: bodyStart) else {
                    throw fail("part \(parts.count + 1) never ends (no closing boundary: truncated upload?)")
                }
                var part = MultipartPart(name: "", body: Data(UnsafeRawBufferPointer(rebasing: raw[bodyStart..<bodyEnd])))
                var disposition = false
                for line in headerText.components(separatedBy: "\r\n") where !line.isEmpty {
                    guard let colon = line.firstIndex(of: ":") else { throw fail("part \(parts.count + 1) has a header line without `:`") }
                    let key = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                    let value = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
                    switch key {
                    case "content-disposition":
                        let d = parameters(value)
                        guard d.value.lowercased() == "form-data", let name = d.params["name"] else {
                            throw fail("part \(parts.count + 1): Content-Disposition must be form-data with a name")
                        }
                        part.name = name
                        part.filename = d.params["filename"]
                        disposition = true
                    case "content-type": part.contentType = value
                    default: break
                    }
                }
                guard disposition else { throw fail("part \(parts.count + 1) has no Content-Disposition") }
                parts.append(part)
                at = bodyEnd + crlfDelimiter.count
            }
        }
    }

    /// A body of `parts` and its Content-Type.
    public static func encode(_ parts: [MultipartPart], boundary: String = "voxsam-" + UUID().uuidString) -> (contentType: String, body: Data) {
        var d = Data()
        for p in parts {
            d.append(Data("--\(boundary)\r\n".utf8))
            var disposition = "Content-Disposition: form-data; name=\"\(quoted(p.name))\""
            if let f = p.filename { disposition += "; filename=\"\(quoted(f))\"" }
            d.append(Data((disposition + "\r\n").utf8))
            if let t = p.contentType { d.append(Data("Content-Type: \(t)\r\n".utf8)) }
            d.append(Data("\r\n".utf8))
            d.append(p.body)
            d.append(Data("\r\n".utf8))
        }
        d.append(Data("--\(boundary)--\r\n".utf8))
        return ("multipart/form-data; boundary=\(boundary)", d)
    }

    private static func quoted(_ s: String) -> String {
        String(s.unicodeScalars.filter { $0 != "\"" && $0 != "\r" && $0 != "\n" && $0 != "\\" }.map(Character.init))
    }

    /// `value; key=v; key2="v 2"` → the value and its parameters (keys lower-cased; quotes and
    /// backslash escapes removed).
    static func parameters(_ header: String) -> (value: String, params: [String: String]) {
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
