import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import VoxSAMCore

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
        guard !rest.isEmpty, let url = URL(string: (https ? "https://" : "http://") + rest), let host = url.host, !host.isEmpty else {
            throw fail("no host")
        }
        guard url.user == nil, url.password == nil else { throw fail("credentials do not belong in the address (use --dicomweb-auth-file or VOXSAM_DICOMWEB_AUTH)") }
        guard url.query == nil, url.fragment == nil else { throw fail("no query or fragment may follow the path") }
        var components = url.path.split(separator: "/").map(String.init)
        guard !components.contains(where: { $0 == "." || $0 == ".." }) else { throw fail("`.` and `..` are not allowed in the path") }
        var study: String?, series: String?
        if components.count >= 4, components[components.count - 4] == "studies", components[components.count - 2] == "series" {
            study = components[components.count - 3]
            series = components[components.count - 1]
            components.removeLast(4)
        } else if components.last == "studies" {
            components.removeLast()
        }
        for uid in [study, series].compactMap({ $0 }) where !Self.isUID(uid) {
            throw fail("`\(uid)` is not a DICOM UID (digits and dots, at most 64 characters)")
        }
        var c = URLComponents()
        c.scheme = https ? "https" : "http"
        c.host = host
        c.port = url.port
        c.path = components.isEmpty ? "" : "/" + components.joined(separator: "/")
        guard let r = c.url else { throw fail("not a valid address") }
        root = r
        self.study = study
        self.series = series
    }

    static func isUID(_ s: String) -> Bool {
        (1...64).contains(s.count) && s.allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") } && !s.hasPrefix(".") && !s.hasSuffix(".")
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
public struct DICOMwebCredentials: Sendable {
    let header: String

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
        guard parts.count == 2, !line.contains("\n") else {
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
        let (data, response) = try send(request, peer: location.description)
        guard response.statusCode == 200 else {
            let what = response.statusCode == 404 || response.statusCode == 204 ? "the series is not on the server" : "retrieval failed"
            throw VoxSAMError(.network, "\(location): \(what): HTTP \(response.statusCode)\(Self.said(data))")
        }
        let parts: [MultipartMIME.Part]
        do {
            let b = try MultipartMIME.boundary(contentType: response.value(forHTTPHeaderField: "Content-Type"))
            parts = try MultipartMIME.parse(data, boundary: b.boundary, maxParts: 100_000)
        } catch let e as MultipartMIME.Malformed {
            throw VoxSAMError(.network, "\(location): the WADO-RS answer is not valid multipart/related (\(e.message))")
        }
        let files = parts.filter { !$0.body.isEmpty }
        guard !files.isEmpty else { throw VoxSAMError(.network, "\(location): the server answered with no instance") }
        for (n, p) in files.enumerated() {
            try AtomicWrite.write(p.body, to: "\(folder)/\(String(format: "%05d", n + 1)).dcm")
        }
        return files.count
    }

    /// Stores DICOM files by STOW-RS (`POST {root}/studies`). Throws unless the server stored every one.
    public func store(files: [String], at location: DICOMwebLocation) throws {
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
        let (data, response) = try send(request, peer: peer)
        // 200: all stored; 202: some failed; 409: none stored (PS3.18 10.5.3).
        let failed = Self.failedSOPs(data)
        guard response.statusCode == 200, failed.isEmpty else {
            let detail = failed.isEmpty ? Self.said(data) : ": " + failed.joined(separator: "; ")
            throw VoxSAMError(.network, "STOW-RS to \(peer) answered HTTP \(response.statusCode)\(detail)")
        }
    }

    /// The FailedSOPSequence of a STOW-RS answer, as "SOP UID: reason" lines.
    static func failedSOPs(_ data: Data) -> [String] {
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let failed = (json["00081198"] as? [String: Any])?["Value"] as? [[String: Any]] else { return [] }
        return failed.map { item in
            let uid = ((item["00081155"] as? [String: Any])?["Value"] as? [Any])?.first.map { "\($0)" } ?? "?"
            let reason = ((item["00081197"] as? [String: Any])?["Value"] as? [Any])?.first.map { "\($0)" } ?? "?"
            return "instance \(uid): failure reason \(reason)"
        }
    }

    /// What a server said, for a message: the start of its body, on one line.
    static func said(_ data: Data) -> String {
        let text = String(decoding: data.prefix(300), as: UTF8.self).replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? "" : " (\(text))"
    }

    /// One request, retried with backoff on connection failures and 5xx/429 answers.
    func send(_ request: URLRequest, peer: String) throws -> (Data, HTTPURLResponse) {
        var request = request
        request.timeoutInterval = timeout
        if let c = credentials { request.setValue(c.header, forHTTPHeaderField: "Authorization") }
        var last: VoxSAMError?
        for attempt in 0..<max(1, attempts) {
            if attempt > 0 { Thread.sleep(forTimeInterval: pow(2, Double(attempt - 1))) }
            let result = Self.perform(request)
            switch result {
            case .success(let (data, response)):
                if response.statusCode >= 500 || response.statusCode == 429 {
                    last = VoxSAMError(.network, "\(peer) answered HTTP \(response.statusCode)\(Self.said(data))")
                    continue
                }
                if response.statusCode == 401 || response.statusCode == 403 {
                    throw VoxSAMError(.network, "\(peer) refused the credentials: HTTP \(response.statusCode)"
                                      + (credentials == nil ? " (give them with --dicomweb-auth-file or VOXSAM_DICOMWEB_AUTH)" : ""))
                }
                return (data, response)
            case .failure(let error):
                last = VoxSAMError(.network, "\(peer) cannot be reached: \(error.localizedDescription)")
            }
        }
        throw VoxSAMError(.network, (last?.message ?? "\(peer): no answer") + (attempts > 1 ? " (after \(attempts) attempts)" : ""))
    }

    static func perform(_ request: URLRequest) -> Result<(Data, HTTPURLResponse), any Error> {
        final class Box: @unchecked Sendable { var result: Result<(Data, HTTPURLResponse), any Error> = .failure(URLError(.unknown)) }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let session = URLSession(configuration: .ephemeral)
        session.dataTask(with: request) { data, response, error in
            if let error { box.result = .failure(error) } else if let r = response as? HTTPURLResponse {
                box.result = .success((data ?? Data(), r))
            }
            done.signal()
        }.resume()
        done.wait()
        session.finishTasksAndInvalidate()
        return box.result
    }
}

/// A series from a DICOMweb server in a private temporary folder (mode 0700, removed by `remove()`
/// or on SIGINT/SIGTERM), read there by the DICOM reader like any folder.
public final class FetchedSeries: @unchecked Sendable {
    public let folder: String
    public let location: DICOMwebLocation

    /// Retrieves `text` (a `dicomweb://…/studies/S/series/U` address) into a new private folder.
    public init(_ text: String, client: DICOMwebClient) throws {
        location = try DICOMwebLocation(text)
        let base = (ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp") + "/voxsam-series-XXXXXX"
        var template = Array(base.utf8CString)
        guard let made = mkdtemp(&template) else {
            throw VoxSAMError(.writeFailed, "a private temporary folder cannot be made (\(String(cString: strerror(errno))))", path: base)
        }
        folder = String(cString: made)
        TemporaryFiles.register(folder)
        do { try client.fetchSeries(location, into: folder) } catch { remove(); throw error }
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: folder)
        TemporaryFiles.unregister(folder)
    }
}
