import Foundation
#if canImport(Glibc)
import Glibc
#endif
import VoxSAMCore

/// A PACS address as the command line gives it: a DICOMweb server (`dicomweb://`, `dicomwebs://`)
/// or a DICOM application entity (`dimse://`), either the peer itself (for --push) or one series
/// on it (an input).
public enum PACSAddress: Sendable, Equatable, CustomStringConvertible {
    case dicomweb(DICOMwebLocation)
    case dimse(DIMSELocation)

    /// Whether `text` names a PACS rather than a local path.
    public static func isRemote(_ text: String) -> Bool { DICOMwebLocation.isDICOMweb(text) || DIMSELocation.isDIMSE(text) }

    public init(_ text: String) throws {
        if DIMSELocation.isDIMSE(text) {
            self = .dimse(try DIMSELocation(text))
        } else if DICOMwebLocation.isDICOMweb(text) {
            self = .dicomweb(try DICOMwebLocation(text))
        } else {
            throw VoxSAMError(.invalidArgument, "`\(text)` is not a PACS address: give dicomweb://HOST:PORT/PATH[/studies/S/series/U] or dimse://AET@HOST:PORT[/SERIES_UID]")
        }
    }

    /// A destination for --push: the peer, not a series on it.
    public static func destination(_ text: String, option: String = "--push") throws -> PACSAddress {
        let a = try PACSAddress(text)
        guard !a.namesSeries else {
            throw VoxSAMError(.invalidArgument, "\(option) `\(text)`: give the peer (dicomweb://HOST:PORT/PATH or dimse://AET@HOST:PORT), not a series")
        }
        return a
    }

    /// The address itself, if it names a series (an input); else an error saying how to name one.
    public func requiringSeries() throws -> PACSAddress {
        guard namesSeries else {
            throw VoxSAMError(.invalidArgument, "`\(description)` names no series: give dicomweb://HOST:PORT/PATH/studies/STUDY_UID/series/SERIES_UID or dimse://AET@HOST:PORT/SERIES_UID")
        }
        return self
    }

    public var namesSeries: Bool {
        switch self {
        case .dicomweb(let l): l.study != nil
        case .dimse(let l): l.series != nil
        }
    }

    /// The peer alone, as messages and manifests name it.
    public var peer: String {
        switch self {
        case .dicomweb(let l): l.root.absoluteString
        case .dimse(let l): l.peer
        }
    }

    /// How results are sent there.
    public var service: String {
        switch self {
        case .dicomweb: "STOW-RS"
        case .dimse: "C-STORE"
        }
    }

    public var description: String {
        switch self {
        case .dicomweb(let l): l.description
        case .dimse(let l): l.description
        }
    }
}

/// The clients for both kinds of peer, with what they need (DICOMweb credentials, our AE title).
public struct PACSClient: Sendable {
    public var dicomweb: DICOMwebClient
    public var dimse: DIMSEClient

    public init(dicomweb: DICOMwebClient, dimse: DIMSEClient) {
        self.dicomweb = dicomweb
        self.dimse = dimse
    }

    /// Retrieves the series `address` names into `folder` as numbered `.dcm` files; returns their count.
    @discardableResult
    public func fetchSeries(_ address: PACSAddress, into folder: String) throws -> Int {
        switch address {
        case .dicomweb(let l): try dicomweb.fetchSeries(l, into: folder)
        case .dimse(let l): try dimse.fetchSeries(l, into: folder)
        }
    }

    /// The address of series `uid` on the peer `address` names (DICOMweb: its study found by QIDO-RS).
    public func locateSeries(_ uid: String, on address: PACSAddress) throws -> PACSAddress {
        switch address {
        case .dicomweb(let l): return .dicomweb(try dicomweb.locateSeries(uid, at: l))
        case .dimse(var l):
            guard DICOMUID.isValid(uid) else { throw VoxSAMError(.invalidArgument, "`\(uid)` is not a DICOM UID") }
            l.series = uid
            return .dimse(l)
        }
    }

    /// Sends DICOM files to the peer; throws unless it stored every one; returns its warnings.
    @discardableResult
    public func store(files: [String], at address: PACSAddress) throws -> [String] {
        switch address {
        case .dicomweb(let l): try dicomweb.store(files: files, at: l)
        case .dimse(let l): try dimse.store(files: files, at: l)
        }
    }
}

/// A series from a PACS in a private temporary folder (mode 0700, removed by `remove()` or on
/// SIGINT/SIGTERM), read there by the DICOM reader like any folder.
public final class FetchedSeries: @unchecked Sendable {
    public let folder: String
    public let address: PACSAddress

    /// Retrieves `text` (`dicomweb://…/studies/S/series/U` or `dimse://AET@HOST:PORT/SERIES_UID`) into a new private folder.
    public convenience init(_ text: String, client: PACSClient) throws {
        try self.init(PACSAddress(text), client: client)
    }

    public init(_ address: PACSAddress, client: PACSClient) throws {
        self.address = try address.requiringSeries()
        let tmp = FileManager.default.temporaryDirectory.path
        Self.removeStale(in: tmp)
        let base = "\(tmp)/voxsam-series-\(getpid())-XXXXXX"
        var template = Array(base.utf8CString)
        guard let made = mkdtemp(&template) else {
            throw VoxSAMError(.writeFailed, "a private temporary folder cannot be made (\(String(cString: strerror(errno))))", path: base)
        }
        // (A signal between mkdtemp and here leaves the folder to `removeStale` of a later run.)
        folder = String(cString: made)
        TemporaryFiles.register(folder)
        do { try client.fetchSeries(address, into: folder) } catch { remove(); throw error }
    }

    /// Series folders of processes that are gone (SIGKILL, out of memory): they hold patient data.
    static func removeStale(in tmp: String) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? [] where name.hasPrefix("voxsam-series-") {
            let fields = name.split(separator: "-")
            guard fields.count == 4, let pid = Int32(fields[2]), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(atPath: "\(tmp)/\(name)")
        }
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: folder)
        TemporaryFiles.unregister(folder)
    }
}
