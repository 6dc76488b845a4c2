import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import VoxSAMCore
import VoxSAMIO

/// A DICOMweb server, or a series on one, as VoxSAM names them on the command line:
///
///     dicomweb://HOST:PORT/PATH                              the server (its DICOMweb root): --push
///     dicomweb://HOST:PORT/PATH/studies/S/series/U           one series: an input
///
/// `dicomweb://` speaks HTTP, `dicomwebs://` HTTPS. User names and passwords never go in the
/// address (see `DICOMwebCredentials`).
public struct DICOMwebLocation: Sendable, Equatable, CustomStringConvertible {
    /// The DICOMweb root as an http(s) URL, without a trailing slash.
    public var root: URL
    public var study: String?
    public var series: String?

    public static func isDICOMweb(_ text: String) -> Bool {
        let t = text.lowercased()
        return t.hasPrefix("dicomweb://") || t.hasPrefix("dicomwebs://")
    }

    public init(_ text: String) throws {
        func fail(_ m: String) -> VoxSAMError {
            VoxSAMError(.invalidArgument, "`\(text)`: \(m); expected dicomweb://HOST:PORT/PATH[/studies/STUDY_UID/series/SERIES_UID] (dicomwebs:// for HTTPS)")
        }
        guard let scheme = text.range(of: "://"), Self.isDICOMweb(text) else { throw fail("not a DICOMweb address") }
        let https = text[..<scheme.lowerBound].lowercased() == "dicomwebs"
        let rest = String(text[scheme.upperBound...])
        // URLComponents keeps the host as written (an IPv6 literal in brackets) and the path encoded (%2F stays).
        guard !rest.isEmpty, var c = URLComponents(string: (https ? "https://" : "http://") + rest), let host = c.host, !host.isEmpty else {
            throw fail("no host")
        }
        guard c.user == nil, c.password == nil else { throw fail("credentials do not belong in the address (use --dicomweb-auth-file or VOXSAM_DICOMWEB_AUTH)") }
        guard c.query == nil, c.fragment == nil else { throw fail("no query or fragment may follow the path") }
        var encoded = c.percentEncodedPath.split(separator: "/").map(String.init)
        let decoded = encoded.map { $0.removingPercentEncoding ?? $0 }
        guard !decoded.contains(where: { $0 == "." || $0 == ".." }) else { throw fail("`.` and `..` are not allowed in the path") }
        var study: String?, series: String?
        let n = decoded.count
        if n >= 4, decoded[n - 4] == "studies", decoded[n - 2] == "series" {
            study = decoded[n - 3]
            series = decoded[n - 1]
            encoded.removeLast(4)
        } else if decoded.last == "studies" {
            encoded.removeLast()
        }
        // A study or series address that is not exactly …/studies/S/series/U would be taken for a root.
        if encoded.contains(where: { ["studies", "series", "instances"].contains($0.removingPercentEncoding ?? $0) }) {
            throw fail("give the server's DICOMweb root, or one series as …/studies/STUDY_UID/series/SERIES_UID")
        }
        for uid in [study, series].compactMap({ $0 }) where !DICOMUID.isValid(uid) {
            throw fail("`\(uid)` is not a DICOM UID (digits and dots, at most 64 characters)")
        }
        c.percentEncodedPath = encoded.isEmpty ? "" : "/" + encoded.joined(separator: "/")
        guard let r = c.url else { throw fail("not a valid address") }
        root = r
        self.study = study
        self.series = series
    }

    /// Whether the peer is this machine (credentials may then travel over plain HTTP).
    public var isLoopback: Bool {
        let h = (root.host ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        return h == "localhost" || h == "::1" || h.hasPrefix("127.")
    }

    /// The series' WADO-RS address.
    public var seriesURL: URL? {
        guard let study, let series else { return nil }
        return root.appendingPathComponent("studies").appendingPathComponent(study).appendingPathComponent("series").appendingPathComponent(series)
    }

    /// The address as messages name it (the peer).
    public var description: String { root.absoluteString + (study.map { "/studies/\($0)" } ?? "") + (series.map { "/series/\($0)" } ?? "") }
}

/// Credentials for a DICOMweb server: `Bearer TOKEN` or `Basic USER:PASSWORD`, read from a file
/// (`--dicomweb-auth-file`) or the environment (`VOXSAM_DICOMWEB_AUTH`); never echoed in messages,
/// logs or manifests.
public struct DICOMwebCredentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let header: String

    public var description: String { "DICOMwebCredentials(\(header.split(separator: " ").first ?? "") …)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }

    /// From `file` if given, else `VOXSAM_DICOMWEB_AUTH`, else none.
    public static func load(file: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DICOMwebCredentials? {
        let text: String
        let origin: String
        if let file {
            guard let d = FileManager.default.contents(atPath: file) else { throw VoxSAMError(.notFound, "--dicomweb-auth-file cannot be read", path: file) }
            text = String(decoding: d, as: UTF8.self); origin = "--dicomweb-auth-file"
        } else if let e = environment["VOXSAM_DICOMWEB_AUTH"], !e.isEmpty {
            text = e; origin = "VOXSAM_DICOMWEB_AUTH"
        } else {
            return nil
        }
        let line = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2, !line.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) else {
            throw VoxSAMError(.invalidArgument, "\(origin) must hold one line: `Bearer TOKEN` or `Basic USER:PASSWORD`")
        }
        switch parts[0].lowercased() {
        case "bearer": return DICOMwebCredentials(header: "Bearer " + parts[1])
        case "basic":
            guard parts[1].contains(":") else { throw VoxSAMError(.invalidArgument, "\(origin): Basic needs USER:PASSWORD") }
            return DICOMwebCredentials(header: "Basic " + Data(parts[1].utf8).base64EncodedString())
        default: throw VoxSAMError(.invalidArgument, "\(origin) must start with Bearer or Basic")
        }
    }
}

/// WADO-RS retrieval of a series and STOW-RS storage of instances, over HTTP(S), with a timeout per
/// request and retries with backoff on connection failures and 5xx/429 answers. Every failure is one
/// line naming the peer and what it answered.
public struct DICOMwebClient: Sendable {
    public var credentials: DICOMwebCredentials?
    public var timeout: TimeInterval = 60
    /// Attempts per request (1 = no retry); waits 1 s, 2 s, 4 s … between them.
    public var attempts = 3

    public init(credentials: DICOMwebCredentials? = nil) { self.credentials = credentials }

    /// Retrieves the series at `location` into `folder` as numbered `.dcm` files; returns their count.
    @discardableResult
    public func fetchSeries(_ location: DICOMwebLocation, into folder: String) throws -> Int {
        guard let url = location.seriesURL else {
            throw VoxSAMError(.invalidArgument, "`\(location)` names no series: give dicomweb://HOST:PORT/PATH/studies/STUDY_UID/series/SERIES_UID")
        }
        var request = URLRequest(url: url)
        request.setValue("multipart/related; type=\"application/dicom\"; transfer-syntax=*", forHTTPHeaderField: "Accept")
        // The answer (the whole series) goes to a file in the private folder, not to memory.
        let download = "\(folder)/.wado-rs-answer"
        defer { unlink(download) }
        var (said, response) = try send(request, to: location, idempotent: true, into: download)
        if response.statusCode == 406 || response.statusCode == 400 {
            // Servers that refuse `transfer-syntax=*` are asked again for their default.
            request.setValue("multipart/related; type=\"application/dicom\"", forHTTPHeaderField: "Accept")
            (said, response) = try send(request, to: location, idempotent: true, into: download)
        }
        guard response.statusCode == 200 else {
            let missing = response.statusCode == 404 || response.statusCode == 204
            throw VoxSAMError(.network, "\(location): \(missing ? "the series is not on the server" : "retrieval failed"): HTTP \(response.statusCode)\(Self.said(said, response))",
                              cause: missing ? SeriesNotFound() : nil)
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: download), options: .alwaysMapped) } catch {
            throw VoxSAMError(.writeFailed, "the WADO-RS answer cannot be read back (\(error.localizedDescription))", path: download)
        }
        let parts: [(headers: [String: String], range: Range<Int>)]
        do {
            let b = try MultipartMIME.boundary(contentType: response.value(forHTTPHeaderField: "Content-Type"))
            parts = try MultipartMIME.locate(data, boundary: b.boundary, maxParts: ReceivedSeriesLimits.maxFiles + 1).filter { !$0.range.isEmpty }
        } catch let e as MultipartMIME.Malformed {
            throw VoxSAMError(.network, "\(location): the WADO-RS answer is not valid multipart/related (\(e.message))")
        }
        guard !parts.isEmpty else { throw VoxSAMError(.network, "\(location): the server answered with no instance") }
        guard parts.count <= ReceivedSeriesLimits.maxFiles else {
            throw VoxSAMError(.network, "\(location): the series has more than \(ReceivedSeriesLimits.maxFiles) instances (the limit)")
        }
        for (n, p) in parts.enumerated() {
            let body = data.subdata(in: p.range)
            let type = MultipartMIME.parameters(p.headers["content-type"] ?? "application/dicom").value.lowercased()
            guard type == "application/dicom" else {
                throw VoxSAMError(.network, "\(location): part \(n + 1) of the answer is \(type), not application/dicom\(Self.said(body.prefix(300), type: type))")
            }
            // A private folder deleted after the run: plain writes, no fsync.
            let file = "\(folder)/\(String(format: "%05d", n + 1)).dcm"
            guard FileManager.default.createFile(atPath: file, contents: body, attributes: [.posixPermissions: 0o600]) else {
                throw VoxSAMError(.writeFailed, "cannot be written (\(String(cString: strerror(errno))))", path: file)
            }
        }
        return parts.count
    }

    /// The study of a series, by QIDO-RS (`GET {root}/series?SeriesInstanceUID=…`): the address of
    /// the series on the server at `root`.
    public func locateSeries(_ seriesUID: String, at root: DICOMwebLocation) throws -> DICOMwebLocation {
        guard DICOMUID.isValid(seriesUID) else { throw VoxSAMError(.invalidArgument, "`\(seriesUID)` is not a DICOM UID") }
        var c = URLComponents(url: root.root.appendingPathComponent("series"), resolvingAgainstBaseURL: false)!
        c.queryItems = [URLQueryItem(name: "SeriesInstanceUID", value: seriesUID), URLQueryItem(name: "includefield", value: "0020000D,0020000E")]
        var request = URLRequest(url: c.url!)
        request.setValue("application/dicom+json", forHTTPHeaderField: "Accept")
        let (data, response) = try send(request, to: root, idempotent: true)
        guard response.statusCode == 200 || response.statusCode == 204 else {
            throw VoxSAMError(.network, "QIDO-RS to \(root.root.absoluteString) answered HTTP \(response.statusCode)\(Self.said(data, response))")
        }
        let found = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] ?? []
        func value(_ item: [String: Any], _ tag: String) -> String? { ((item[tag] as? [String: Any])?["Value"] as? [Any])?.first as? String }
        // Only rows of the series asked for (a server that ignores the key lists every series).
        let studies = Set(found.filter { value($0, "0020000E") == seriesUID }.compactMap { value($0, "0020000D") })
        guard let study = studies.first else { throw VoxSAMError(.network, "\(root.root.absoluteString) has no series \(seriesUID)", cause: SeriesNotFound()) }
        guard studies.count == 1, DICOMUID.isValid(study) else {
            throw VoxSAMError(.network, "\(root.root.absoluteString): series \(seriesUID) is listed in more than one study, or with an invalid study UID")
        }
        var l = root
        l.study = study
        l.series = seriesUID
        return l
    }

    /// Stores DICOM files by STOW-RS (`POST {root}/studies`). Throws unless the server says it
    /// stored every one; returns its warnings (a 202 whose instances were all stored).
    @discardableResult
    public func store(files: [String], at location: DICOMwebLocation) throws -> [String] {
        let parts = try files.map { f -> (headers: [(String, String)], body: Data) in
            guard let d = FileManager.default.contents(atPath: f) else { throw VoxSAMError(.notFound, "cannot be read", path: f) }
            return ([("Content-Type", "application/dicom")], d)
        }
        let boundary = "voxsam-" + UUID().uuidString
        var request = URLRequest(url: location.root.appendingPathComponent("studies"))
        request.httpMethod = "POST"
        request.setValue("multipart/related; type=\"application/dicom\"; boundary=\(boundary)", forHTTPHeaderField: "Content-Type")
        request.setValue("application/dicom+json", forHTTPHeaderField: "Accept")
        request.httpBody = MultipartMIME.encode(parts, boundary: boundary)
        let peer = location.root.absoluteString
        // Not retried once it may have reached the server (a second POST of a stored instance is a duplicate).
        let (data, response) = try send(request, to: location, idempotent: false)
        // 200: all stored; 202: stored with warnings, or some failed; 409: none stored (PS3.18 10.5.3).
        let answer = Self.stowAnswer(data)
        guard [200, 202].contains(response.statusCode), answer.failed.isEmpty, answer.referenced == files.count else {
            let detail = !answer.failed.isEmpty ? ": " + answer.failed.joined(separator: "; ")
                : [200, 202].contains(response.statusCode) ? ": it acknowledged \(answer.referenced) of \(files.count) instances" : Self.said(data, response)
            throw VoxSAMError(.network, "STOW-RS to \(peer) answered HTTP \(response.statusCode)\(detail)")
        }
        return answer.warnings
    }

    /// A STOW-RS answer: instances acknowledged (ReferencedSOPSequence), failed (FailedSOPSequence,
    /// "instance UID: failure reason 0xA700"), and warnings (WarningReason).
    static func stowAnswer(_ data: Data) -> (referenced: Int, failed: [String], warnings: [String]) {
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return (0, [], []) }
        func items(_ tag: String) -> [[String: Any]] { ((json[tag] as? [String: Any])?["Value"] as? [[String: Any]]) ?? [] }
        func value(_ item: [String: Any], _ tag: String) -> Any? { ((item[tag] as? [String: Any])?["Value"] as? [Any])?.first }
        func reason(_ v: Any?) -> String { (v as? Int).map { String(format: "0x%04X", $0) } ?? v.map { "\($0)" } ?? "?" }
        let referenced = items("00081199")
        let failed = items("00081198").map { "instance \(value($0, "00081155").map { "\($0)" } ?? "?"): failure reason \(reason(value($0, "00081197")))" }
        let warnings = referenced.compactMap { item in value(item, "00081196").map { "instance \(value(item, "00081155").map { "\($0)" } ?? "?"): warning \(reason($0))" } }
        return (referenced.count, failed, warnings)
    }

    /// What a server said, for a one-line message: the start of a text, JSON or XML body, control
    /// characters and runs of spaces collapsed; nothing for other bodies.
    static func said(_ data: Data, _ response: HTTPURLResponse? = nil, type: String? = nil) -> String {
        let t = (type ?? response?.value(forHTTPHeaderField: "Content-Type") ?? "text/plain").lowercased()
        guard t.hasPrefix("text/") || t.contains("json") || t.contains("xml") else { return "" }
        let text = String(decoding: data.prefix(300), as: UTF8.self).unicodeScalars
            .map { CharacterSet.controlCharacters.contains($0) ? " " : String($0) }.joined()
            .split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        return text.isEmpty ? "" : " (\(text))"
    }

    /// One request. Redirects are not followed (a POST would become a GET, and the credentials would
    /// go wherever the redirect says): a 3xx is an error naming where it points. Retried with backoff
    /// (1 s, 2 s, … or the server's Retry-After, at most 30 s): connection failures before the request
    /// reached the server, 503 and 429; for idempotent requests also timeouts, dropped connections
    /// and 502/504.
    ///
    /// With `into`, the answer's body goes to that file (created 0600, emptied on each attempt) and
    /// only its first 4 KiB come back, for messages.
    func send(_ request: URLRequest, to location: DICOMwebLocation, idempotent: Bool, into file: String? = nil) throws -> (Data, HTTPURLResponse) {
        let peer = location.root.absoluteString
        var request = request
        request.timeoutInterval = timeout
        if let c = credentials {
            guard location.root.scheme == "https" || location.isLoopback else {
                throw VoxSAMError(.invalidArgument, "credentials would travel unencrypted to \(location.root.host ?? peer): use dicomwebs:// (HTTPS)")
            }
            request.setValue(c.header, forHTTPHeaderField: "Authorization")
        }
        var last: VoxSAMError?
        var wait = 0.0
        var tried = 0
        tries: for attempt in 0..<max(1, attempts) {
            tried += 1
            if attempt > 0 { Thread.sleep(forTimeInterval: min(30, max(wait, pow(2, Double(attempt - 1))))) }
            wait = 0
            switch Self.perform(request, deadline: timeout * 3 + 30, into: file) {
            case .success(let (data, response)):
                let code = response.statusCode
                if (300..<400).contains(code) {
                    throw VoxSAMError(.network, "\(peer) redirects to \(response.value(forHTTPHeaderField: "Location") ?? "another address") (HTTP \(code)): give that address")
                }
                if code == 503 || code == 429 || (idempotent && (code == 502 || code == 504)) {
                    wait = response.value(forHTTPHeaderField: "Retry-After").flatMap(Double.init) ?? 0
                    last = VoxSAMError(.network, "\(peer) answered HTTP \(code)\(Self.said(data, response))")
                    continue
                }
                if code == 401 || code == 403 {
                    throw VoxSAMError(.network, "\(peer) refused the credentials: HTTP \(code)"
                                      + (credentials == nil ? " (give them with --dicomweb-auth-file or VOXSAM_DICOMWEB_AUTH)" : ""))
                }
                return (data, response)
            case .failure(let error):
                if let v = error as? VoxSAMError { throw v }
                let e = error as? URLError
                let what: String
                switch e?.code {
                case .cannotConnectToHost?: what = "connection refused"
                case .cannotFindHost?, .dnsLookupFailed?: what = "host not found"
                case .timedOut?: what = "no answer within \(Int(timeout)) s"
                case .networkConnectionLost?: what = "the connection was dropped"
                case .serverCertificateUntrusted?, .serverCertificateHasBadDate?, .serverCertificateNotYetValid?, .serverCertificateHasUnknownRoot?,
                     .secureConnectionFailed?:
                    throw VoxSAMError(.network, "\(peer) cannot be reached securely: \(error.localizedDescription)")
                default: what = error.localizedDescription
                }
                last = VoxSAMError(.network, "\(peer) cannot be reached: \(what)")
                // A request that may have reached the server is not sent again unless it is idempotent.
                let neverSent = [URLError.cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet].contains(e?.code)
                if !idempotent && !neverSent { break tries }
            }
        }
        throw VoxSAMError(.network, (last?.message ?? "\(peer): no answer") + (tried > 1 ? " (after \(tried) attempts)" : ""))
    }

    /// One exchange, its body kept in memory or streamed to a file. Every redirect is refused: the
    /// 3xx answer itself is the result.
    final class Exchange: NSObject, URLSessionDataDelegate, @unchecked Sendable {
        let handle: FileHandle?
        var body = Data()
        var response: HTTPURLResponse?
        var failure: (any Error)?
        let done = DispatchSemaphore(value: 0)

        init(file: String?) throws {
            if let file {
                unlink(file)
                guard FileManager.default.createFile(atPath: file, contents: nil, attributes: [.posixPermissions: 0o600]),
                      let h = FileHandle(forWritingAtPath: file) else {
                    throw VoxSAMError(.writeFailed, "cannot be created (\(String(cString: strerror(errno))))", path: file)
                }
                handle = h
            } else {
                handle = nil
            }
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
            completionHandler(nil)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
            self.response = response as? HTTPURLResponse
            completionHandler(.allow)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            guard failure == nil else { return }
            guard let handle else { body.append(data); return }
            if body.count < 4096 { body.append(data.prefix(4096 - body.count)) }
            do { try handle.write(contentsOf: data) } catch {
                failure = VoxSAMError(.writeFailed, "the WADO-RS answer cannot be stored (\(error.localizedDescription))")
                dataTask.cancel()
            }
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
            if failure == nil { failure = error }
            try? handle?.close()
            done.signal()
        }
    }

    static func perform(_ request: URLRequest, deadline: TimeInterval, into file: String? = nil) -> Result<(Data, HTTPURLResponse), any Error> {
        let exchange: Exchange
        do { exchange = try Exchange(file: file) } catch { return .failure(error) }
        let session = URLSession(configuration: .ephemeral, delegate: exchange, delegateQueue: nil)
        let task = session.dataTask(with: request)
        task.resume()
        if exchange.done.wait(timeout: .now() + deadline) == .timedOut {
            task.cancel()
            _ = exchange.done.wait(timeout: .now() + 5)
            session.finishTasksAndInvalidate()
            return .failure(URLError(.timedOut))
        }
        session.finishTasksAndInvalidate()
        if let f = exchange.failure { return .failure(f) }
        guard let r = exchange.response else { return .failure(URLError(.badServerResponse)) }
        return .success((exchange.body, r))
    }
}
