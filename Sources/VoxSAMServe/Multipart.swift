import Foundation
import VoxSAMCore

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

/// `multipart/form-data` over the MIME grammar (`MultipartMIME`): what MONAI Label clients send
/// (`requests` and `http.client` bodies), and the replies their `cgi` parser reads. Every failure is
/// a 400 saying what is wrong.
public enum Multipart {
    /// At most this many parts by default; more is refused.
    public static let maxParts = 32

    /// The boundary of a `Content-Type: multipart/form-data; boundary=…` value.
    public static func boundary(contentType: String?) throws -> String {
        let b = try malformed { try MultipartMIME.boundary(contentType: contentType) }
        guard b.type == "multipart/form-data" else { throw APIError.badRequest("malformed multipart: expected multipart/form-data, not \(b.type)") }
        return b.boundary
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

    /// The parts of `body`, in order; each must be `form-data` with a name.
    public static func parse(_ body: Data, boundary: String, maxParts: Int = maxParts) throws -> [MultipartPart] {
        let parts = try malformed { try MultipartMIME.parse(body, boundary: boundary, maxParts: maxParts) }
        return try parts.enumerated().map { n, p in
            guard let disposition = p.headers["content-disposition"] else {
                throw APIError.badRequest("malformed multipart: part \(n + 1) has no Content-Disposition")
            }
            let d = MultipartMIME.parameters(disposition)
            guard d.value.lowercased() == "form-data", let name = d.params["name"] else {
                throw APIError.badRequest("malformed multipart: part \(n + 1): Content-Disposition must be form-data with a name")
            }
            return MultipartPart(name: name, filename: d.params["filename"], contentType: p.headers["content-type"], body: p.body)
        }
    }

    /// A body of `parts` and its Content-Type.
    public static func encode(_ parts: [MultipartPart], boundary: String = "voxsam-" + UUID().uuidString) -> (contentType: String, body: Data) {
        func quoted(_ s: String) -> String {
            String(s.unicodeScalars.filter { $0 != "\"" && $0 != "\r" && $0 != "\n" && $0 != "\\" }.map(Character.init))
        }
        let body = MultipartMIME.encode(parts.map { p in
            var disposition = "form-data; name=\"\(quoted(p.name))\""
            if let f = p.filename { disposition += "; filename=\"\(quoted(f))\"" }
            return (headers: [("Content-Disposition", disposition)] + (p.contentType.map { [("Content-Type", $0)] } ?? []), body: p.body)
        }, boundary: boundary)
        return ("multipart/form-data; boundary=\(boundary)", body)
    }

    private static func malformed<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as MultipartMIME.Malformed { throw APIError.badRequest("malformed multipart: " + e.message) }
    }
}
