import Foundation
import VoxSAMCore

/// An error a client receives: an HTTP status and a one-line message, sent as JSON
/// `{"detail": message, "status": code}` (`detail` as MONAI Label's FastAPI server names it).
/// Server paths never appear in it: messages name the image ID instead.
public struct APIError: Error, Sendable, Equatable {
    public var status: Int
    public var message: String
    /// Seconds, for 503 (`Retry-After`).
    public var retryAfter: Int?

    public init(_ status: Int, _ message: String, retryAfter: Int? = nil) {
        self.status = status; self.message = message; self.retryAfter = retryAfter
    }

    public static func badRequest(_ m: String) -> APIError { APIError(400, m) }
    public static func notFound(_ m: String) -> APIError { APIError(404, m) }

    /// A job error for a client: what the input or prompt has wrong is the client's (4xx); a model or
    /// write failure is the server's (507 when it cannot store, else 500). The server path in it is replaced by `name`.
    public init(_ e: VoxSAMError, name: String) {
        var m = e.message
        if let p = e.path { m = m.replacingOccurrences(of: p, with: name) }
        switch e.code {
        case .notFound, .unsupportedFormat, .corruptFile, .unsupportedData, .geometry: self.init(422, "\(name): \(m)")
        case .invalidArgument: self.init(400, m)
        case .writeFailed: self.init(507, "the server cannot store it: \(m)")
        case .network: self.init(502, m)
        case .model, .internal: self.init(500, m)
        }
    }

    /// The JSON body.
    public var body: Data {
        (try? JSONSerialization.data(withJSONObject: ["detail": message, "status": status], options: [.sortedKeys])) ?? Data()
    }
}
