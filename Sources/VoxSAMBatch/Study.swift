import Foundation
import VoxSAMCore

/// One study of a batch: a subfolder of the studies folder (a DICOM series or series, or NIfTI /
/// NRRD / `.npz` files), or a volume file directly in the studies folder (named by its stem).
public struct Study: Sendable, Equatable {
    /// Folder name (or file stem); also the output folder's name.
    public var name: String
    /// The folder or file; for a study on a PACS, its address.
    public var path: String
    public var isFolder: Bool
    /// Whether the study is a series on a PACS (`path` is its address), fetched when its turn comes.
    public var isRemote = false

    /// Names in the output folder that belong to the batch itself, never to a study.
    static let reservedNames: Set<String> = ["manifests", "manifest.jsonl", "summary.csv"]

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
            if reservedNames.contains(study.name.lowercased()) {
                throw VoxSAMError(.invalidArgument, "a study may not be called `\(study.name)` (the batch's own files have that name); rename it", path: dir)
            }
            if let other = seen[study.name] {
                throw VoxSAMError(.invalidArgument, "two studies are both called `\(study.name)` (\(other) and \(n)); rename one", path: dir)
            }
            seen[study.name] = n
            studies.append(study)
        }
        return studies
    }

    /// The studies of a study list: one per line, `NAME ADDRESS` (a series on a PACS, e.g.
    /// `dicomweb://…/studies/S/series/U` or `dimse://AET@HOST:PORT/SERIES_UID`); blank lines and lines
    /// starting with `#` are ignored. NAME names the output folder: 1–255 characters, no `/`, `\`
    /// or control characters, not starting with `.`. `isAddress` checks each address.
    public static func list(fromFile path: String, isAddress: (String) throws -> Void) throws -> [Study] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw VoxSAMError(.notFound, "the study list cannot be read (UTF-8 text expected)", path: path)
        }
        var studies: [Study] = []
        var seen: Set<String> = []
        // Lines end in LF or CRLF (Swift takes "\r\n" as one Character).
        for (n, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            func fail(_ m: String) -> VoxSAMError { VoxSAMError(.invalidArgument, "line \(n + 1): \(m)", path: path) }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count == 2 else { throw fail("expected `NAME ADDRESS` (two fields)") }
            let name = fields[0]
            guard name.utf8.count <= 255, !name.hasPrefix("."), !name.contains("/"), !name.contains("\\"),
                  !name.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) else {
                throw fail("`\(name)` cannot name an output folder (no `/`, `\\`, control characters or leading `.`)")
            }
            guard !reservedNames.contains(name.lowercased()) else { throw fail("`\(name)` is the name of the batch's own files; choose another") }
            guard seen.insert(name).inserted else { throw fail("the study `\(name)` is listed twice") }
            do { try isAddress(fields[1]) } catch let e as VoxSAMError { throw fail(e.message) }
            studies.append(Study(name: name, path: fields[1], isFolder: true, isRemote: true))
        }
        guard !studies.isEmpty else { throw VoxSAMError(.invalidArgument, "the study list names no study", path: path) }
        return studies.sorted { $0.name < $1.name }
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
