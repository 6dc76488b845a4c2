import Foundation
import VoxSAMCore

/// One study of a batch: a subfolder of the studies folder (a DICOM series or series, or NIfTI /
/// NRRD / `.npz` files), or a volume file directly in the studies folder (named by its stem).
public struct Study: Sendable, Equatable {
    /// Folder name (or file stem); also the output folder's name.
    public var name: String
    /// The folder or file.
    public var path: String
    public var isFolder: Bool

    /// Volume file extensions a study may consist of.
    static let volumeExtensions = [".nii.gz", ".nii", ".hdr", ".nrrd", ".nhdr", ".npz"]

    static func volumeStem(_ fileName: String) -> String? {
        let lower = fileName.lowercased()
        for ext in volumeExtensions where lower.hasSuffix(ext) { return String(fileName.dropLast(ext.count)) }
        return nil
    }

    /// The studies in `dir`, sorted by name. Hidden entries are ignored.
    public static func discover(in dir: String) throws -> [Study] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw VoxSAMError(.notFound, "the studies folder does not exist or is not a folder", path: dir)
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { !$0.hasPrefix(".") }.sorted()
        var studies: [Study] = []
        var seen: [String: String] = [:]
        for n in names {
            let p = URL(fileURLWithPath: dir).appendingPathComponent(n).path
            var d: ObjCBool = false
            guard FileManager.default.fileExists(atPath: p, isDirectory: &d) else { continue }
            let study: Study
            if d.boolValue {
                study = Study(name: n, path: p, isFolder: true)
            } else if let stem = volumeStem(n), !n.lowercased().hasSuffix(".img") {
                study = Study(name: stem, path: p, isFolder: false)
            } else {
                continue   // .img of an Analyze pair, notes, prompts files …
            }
            if let other = seen[study.name] {
                throw VoxSAMError(.invalidArgument, "two studies are both called `\(study.name)` (\(other) and \(n)); rename one", path: dir)
            }
            seen[study.name] = n
            studies.append(study)
        }
        return studies
    }

    /// Every regular file of the study (recursively for a folder; with the `.img` of a `.hdr`), sorted.
    public func files() -> [String] {
        if !isFolder {
            var f = [path]
            if path.lowercased().hasSuffix(".hdr") {
                let img = String(path.dropLast(4)) + (path.hasSuffix(".HDR") ? ".IMG" : ".img")
                if FileManager.default.fileExists(atPath: img) { f.append(img) }
            }
            return f
        }
        var out: [String] = []
        let base = URL(fileURLWithPath: path)
        if let e = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles]) {
            for case let url as URL in e where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                out.append(url.path)
            }
        }
        return out.sorted()
    }

    /// The image to read: `image` from the prompts if given; else the study file; else the single
    /// volume file in the folder (files named like masks — seg, label, mask — are passed over when
    /// there are several); else the folder itself (DICOM).
    public func imagePath(prompted image: String?) throws -> String {
        if let image {
            let p = URL(fileURLWithPath: path).appendingPathComponent(image).path
            guard FileManager.default.fileExists(atPath: p) else {
                throw VoxSAMError(.notFound, "the image `\(image)` named in the prompts is not in the study folder", path: path)
            }
            return p
        }
        guard isFolder else { return path }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        var volumes = names.filter { Study.volumeStem($0) != nil }
        if volumes.count > 1 {
            let images = volumes.filter { n in !["seg", "label", "mask"].contains { n.lowercased().contains($0) } }
            if images.count == 1 { volumes = images }
        }
        if volumes.count == 1 { return URL(fileURLWithPath: path).appendingPathComponent(volumes[0]).path }
        if volumes.count > 1 {
            throw VoxSAMError(.invalidArgument, "the study folder holds several images (\(volumes.joined(separator: ", "))); name one with `image` in the prompts file", path: path)
        }
        return path
    }
}
