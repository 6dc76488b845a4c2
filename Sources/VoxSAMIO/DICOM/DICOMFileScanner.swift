import Foundation
import VoxSAMCore

/// A DICOM file that could not be used, and why (truncated, undecodable header, missing file
/// referenced by a DICOMDIR, …).
public struct DICOMFileProblem: Sendable, Equatable {
    public var path: String
    public var message: String
}

/// What a scan of a file, a folder or a DICOMDIR found.
struct DICOMScan: Sendable {
    enum Root: Sendable { case file, folder, dicomdir }
    var path: String
    var root: Root
    /// Files with pixel data, sorted by path.
    var images: [DICOMFileHeader] = []
    /// DICOM files that are not images: no pixel data (RTSTRUCT, SR, DICOMDIR, …) or label objects (SEG).
    var nonImages: [DICOMFileHeader] = []
    /// Files that are not DICOM at all (skipped silently, counted).
    var nonDICOMCount = 0
    /// DICOM files that could not be read.
    var problems: [DICOMFileProblem] = []
}

/// Finds DICOM files under a path and reads their headers.
enum DICOMFileScanner {
    static func scan(_ path: String) throws -> DICOMScan {
        try ReadLimits.requireRegularFileOrFolder(path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw VoxSAMError(.notFound, "no such file or folder", path: path)
        }
        if isDirectory.boolValue {
            var scan = DICOMScan(path: path, root: .folder)
            scanFiles(try regularFiles(under: path), into: &scan)
            return scan
        }
        // A single file: every problem is fatal and reported as such.
        let file = try DCMTKFile(path: path)
        if file.image.isDICOMDIR {
            var scan = DICOMScan(path: path, root: .dicomdir)
            let folder = (path as NSString).deletingLastPathComponent
            var files: [String] = []
            for relative in try DCMTKLibrary.dicomdirFiles(path) {
                if let resolved = resolve(relative, in: folder) {
                    files.append(resolved)
                } else {
                    scan.problems.append(DICOMFileProblem(path: (folder as NSString).appendingPathComponent(relative),
                                                          message: "referenced by the DICOMDIR (ReferencedFileID (0004,1500)) but missing"))
                }
            }
            scanFiles(Array(Set(files)).sorted(), into: &scan)
            return scan
        }
        var scan = DICOMScan(path: path, root: .file)
        let header = try DICOMFileHeader(file: file)
        if header.isImage { scan.images = [header] } else { scan.nonImages = [header] }
        return scan
    }

    /// Reads the headers of `files` (in parallel), sorting each into images / non-images /
    /// non-DICOM / problems.
    private static func scanFiles(_ files: [String], into scan: inout DICOMScan) {
        enum Outcome: Sendable {
            case header(DICOMFileHeader)
            case notDICOM
            case problem(DICOMFileProblem)
        }
        let outcomes: [Outcome] = DICOMParallel.map(files.count) { i in
            let path = files[i]
            switch DCMTKLibrary.sniff(path) {
            case .some(false): return .notDICOM
            case .none: return .problem(DICOMFileProblem(path: path, message: "cannot be read"))
            case .some(true): break
            }
            do {
                return .header(try DICOMFileHeader(file: try DCMTKFile(path: path)))
            } catch let error as VoxSAMError {
                if error.code == .unsupportedFormat { return .notDICOM }
                return .problem(DICOMFileProblem(path: path, message: error.message))
            } catch {
                return .problem(DICOMFileProblem(path: path, message: String(describing: error)))
            }
        }
        for outcome in outcomes {
            switch outcome {
            case .header(let h):
                if h.isImage { scan.images.append(h) } else { scan.nonImages.append(h) }
            case .notDICOM: scan.nonDICOMCount += 1
            case .problem(let p): scan.problems.append(p)
            }
        }
    }

    /// Regular files under a folder, recursively, sorted; hidden files are skipped.
    private static func regularFiles(under folder: String) throws -> [String] {
        let url = URL(fileURLWithPath: folder, isDirectory: true)
        guard let enumerator = FileManager.default.enumerator(
            at: url, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles]
        ) else {
            throw VoxSAMError(.notFound, "cannot list the folder", path: folder)
        }
        var files: [String] = []
        for case let item as URL in enumerator {
            if (try? item.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                files.append(item.path)
            }
        }
        return files.sorted()
    }

    /// Resolves a DICOMDIR file ID against the folder; DICOMDIR IDs are upper case while the
    /// files on disk may not be, so components are matched case-insensitively when needed.
    private static func resolve(_ relative: String, in folder: String) -> String? {
        var current = folder
        for component in relative.split(separator: "/").map(String.init) {
            let exact = (current as NSString).appendingPathComponent(component)
            if FileManager.default.fileExists(atPath: exact) {
                current = exact
                continue
            }
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: current),
                  let match = entries.first(where: { $0.caseInsensitiveCompare(component) == .orderedSame }) else { return nil }
            current = (current as NSString).appendingPathComponent(match)
        }
        // Regular files only: a FIFO or device named by a DICOMDIR would block the reader.
        return ReadLimits.kind(of: current) == .regular ? current : nil
    }
}
