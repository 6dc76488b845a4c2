import CDCMTK

// The one Swift file of VoxSAMPACS that calls the C bridge (CDCMTKNetwork.h: DCMTK dcmnet).
import Foundation
import VoxSAMCore
import VoxSAMIO

/// A DICOM application entity (a PACS's DIMSE service), or a series on one, as VoxSAM names them:
///
///     dimse://AET@HOST:PORT                 the peer: --push (C-STORE)
///     dimse://AET@HOST:PORT/SERIES_UID      one series: an input (C-FIND + C-GET)
///
/// AET is the peer's AE title; ours is `--aet` (`VOXSAM_AET`, default `VOXSAM`), and the peer must
/// know it (with this host) to answer C-FIND and C-GET. The port defaults to 104.
public struct DIMSELocation: Sendable, Equatable, CustomStringConvertible {
    public var calledAET: String
    public var host: String
    public var port: UInt16
    public var series: String?

    public static func isDIMSE(_ text: String) -> Bool { text.lowercased().hasPrefix("dimse://") }

    public init(_ text: String) throws {
        func fail(_ m: String) -> VoxSAMError {
            VoxSAMError(.invalidArgument, "`\(text)`: \(m); expected dimse://AET@HOST:PORT[/SERIES_UID]")
        }
        guard Self.isDIMSE(text) else { throw fail("not a DIMSE address") }
        var rest = Substring(text.dropFirst("dimse://".count))
        guard let at = rest.lastIndex(of: "@") else { throw fail("no AE title (AET@ before the host)") }
        let aet = String(rest[..<at])
        rest = rest[rest.index(after: at)...]
        calledAET = try Self.checkAETitle(aet, what: "the peer's AE title")
        var hostPort = rest
        if let slash = rest.firstIndex(of: "/") {
            hostPort = rest[..<slash]
            let path = rest[rest.index(after: slash)...]
            if !path.isEmpty {
                guard DICOMUID.isValid(String(path)) else { throw fail("`\(path)` is not a series UID (digits and dots, at most 64 characters)") }
                series = String(path)
            }
        }
        // [IPv6]:port, host:port, or host alone.
        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw fail("unclosed [ in the host") }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw fail("`:PORT` must follow ]") }
                portText = after.dropFirst()
            }
        } else if hostPort.filter({ $0 == ":" }).count > 1 {
            throw fail("an IPv6 address goes in brackets: [ADDRESS]:PORT")
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = String(hostPort[..<colon])
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            host = String(hostPort)
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._:".contains($0)) }) else {
            throw fail("no valid host")
        }
        if let portText {
            guard portText.allSatisfy(\.isASCII), portText.allSatisfy(\.isNumber), let p = UInt16(portText), p > 0 else { throw fail("`\(portText)` is not a port (1–65535)") }
            port = p
        } else {
            port = 104
        }
    }

    /// An AE title as DICOM allows it (PS3.5 AE: 1–16 characters, no backslash or control
    /// characters, not only spaces); leading and trailing spaces are not significant.
    public static func checkAETitle(_ text: String, what: String) throws -> String {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty, t.count <= 16, t.allSatisfy({ $0.isASCII && !$0.isNewline && $0 != "\\" && ($0 == " " || $0.asciiValue! > 0x20) && $0.asciiValue! < 0x7F }) else {
            throw VoxSAMError(.invalidArgument, "\(what) `\(text)` is not an AE title (1–16 printable ASCII characters, no backslash)")
        }
        return t
    }

    /// The peer as messages name it.
    public var peer: String { "dimse://\(calledAET)@\(host.contains(":") ? "[\(host)]" : host):\(port)" }
    public var description: String { peer + (series.map { "/\($0)" } ?? "") }
}

/// Series by C-FIND + C-GET and instances by C-STORE through DCMTK's dcmnet (CDCMTKNetwork.h), with
/// a timeout per network step and retries with backoff while no association could be made. Every
/// failure is one line naming the peer and what it answered.
public struct DIMSEClient: Sendable {
    /// Our AE title.
    public var aet: String
    public var timeout: TimeInterval = 60
    /// Attempts per call (1 = no retry); waits 1 s, 2 s, 4 s … between them.
    public var attempts = 3

    /// `aet` given, else `VOXSAM_AET`, else `VOXSAM`.
    public init(aet: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        if let aet {
            self.aet = try DIMSELocation.checkAETitle(aet, what: "--aet")
        } else if let e = environment["VOXSAM_AET"], !e.isEmpty {
            self.aet = try DIMSELocation.checkAETitle(e, what: "VOXSAM_AET")
        } else {
            self.aet = "VOXSAM"
        }
    }

    /// Retrieves the series at `location` into `folder` as numbered `.dcm` files; returns their count.
    @discardableResult
    public func fetchSeries(_ location: DIMSELocation, into folder: String) throws -> Int {
        guard let series = location.series else {
            throw VoxSAMError(.invalidArgument, "`\(location)` names no series: give dimse://AET@HOST:PORT/SERIES_UID")
        }
        return try retrying(location) { peer, outcome, error in
            var count: Int32 = 0
            let status = vxd_dimse_get_series(peer, series, folder, Int32(ReceivedSeriesLimits.maxFiles), UInt64(ReceivedSeriesLimits.maxBytes),
                                              &count, outcome, error)
            return (status, Int(count))
        }
    }

    /// Sends DICOM files by C-STORE. Throws unless the peer stored every one; returns its warnings.
    @discardableResult
    public func store(files: [String], at location: DIMSELocation) throws -> [String] {
        guard !files.isEmpty else { return [] }
        var statuses = [UInt16](repeating: 0xFFFF, count: files.count)
        _ = try retrying(location) { peer, outcome, error in
            let status = withCStrings(files) { list in
                statuses.withUnsafeMutableBufferPointer { vxd_dimse_store(peer, list, Int32(files.count), $0.baseAddress, outcome, error) }
            }
            return (status, 0)
        }
        func said(_ s: UInt16) -> String { String(format: "0x%04X (%@)", s, String(cString: vxd_cstore_status_text(s))) }
        let warningStatuses: Set<UInt16> = [0xB000, 0xB006, 0xB007]
        let failed = zip(files, statuses).filter { $0.1 != 0 && !warningStatuses.contains($0.1) }
        guard failed.isEmpty else {
            throw VoxSAMError(.network, "C-STORE answered " + failed.map { "\(said($0.1)) for \($0.0)" }.joined(separator: "; "), path: location.peer)
        }
        return zip(files, statuses).filter { warningStatuses.contains($0.1) }.map { "\($0.0): warning \(said($0.1))" }
    }

    /// Runs one bridge call, again after 1 s, 2 s … while the association could not be made and
    /// trying again may help (connection refused, a transient rejection).
    private func retrying(_ location: DIMSELocation,
                          _ call: (UnsafePointer<vxd_peer>, UnsafeMutablePointer<vxd_network_outcome>, UnsafeMutablePointer<vxd_error>) -> (vxd_status, Int)) throws -> Int {
        let name = location.peer
        for attempt in 1...max(1, attempts) {
            var error = vxd_error()
            var outcome = vxd_network_outcome()
            let (status, value) = name.withCString { n in
                location.host.withCString { h in
                    location.calledAET.withCString { called in
                        aet.withCString { calling in
                            var peer = vxd_peer(name: n, host: h, port: location.port, called_aet: called, calling_aet: calling,
                                                timeout_seconds: Int32(min(max(timeout, 1), 3600)))
                            return call(&peer, &outcome, &error)
                        }
                    }
                }
            }
            if status == VXD_OK { return value }
            if attempt < attempts, outcome.retry_may_help != 0, outcome.reached_peer == 0 {
                Thread.sleep(forTimeInterval: Double(1 << (attempt - 1)))
                continue
            }
            var e = DCMTKLibrary.makeError(status, error, path: name)
            // "the peer has no series …" is the bridge's own phrase (peer text never has letters there).
            if status == VXD_NETWORK, e.message.hasPrefix("the peer has no series") { e = VoxSAMError(e.code, e.message, path: e.path, cause: SeriesNotFound()) }
            if attempt > 1 { e = VoxSAMError(e.code, e.message + " (after \(attempt) attempts)", path: e.path, cause: e.cause) }
            throw e
        }
        throw VoxSAMError(.internal, "no attempt was made", path: name)
    }
}

/// Calls `body` with a C array of C strings for `strings` (valid only inside `body`).
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { UnsafePointer($0) }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
