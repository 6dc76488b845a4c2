import Foundation
import VoxSAMCore
import VoxSAMJob

/// The batch prompts file: which objects to segment in which study. CSV or JSON (by extension).
///
/// JSON — a list, or a mapping from study name to entry:
/// ```json
/// {"studies": [
///   {"study": "case01", "series": "1.2.3…", "image": "ct.nii.gz",
///    "objects": [{"name": "liver", "label": 1, "box": [x0, y0, z0, x1, y1, z1]},
///                {"name": "spleen", "box_mm": [x0, y0, z0, x1, y1, z1]},
///                {"from_mask": "masks/case01.nrrd", "mask_label": 3, "label": 3}]},
///   {"study": "case02", "objects": []}          // a CVPR24 .npz: its own `boxes`
/// ]}
/// ```
/// CSV — one row per object, header names the columns (any order; only `study` is required):
/// `study,series,image,name,label,box,box_mm,from_mask,mask_label,key_slice,color`, boxes as
/// `"x0,y0,z0,x1,y1,z1"` (quoted) or space-separated. A row with only a study means "the npz boxes".
/// Mask paths are relative to the prompts file's folder. Studies not in the file are skipped.
public struct PromptsFile: Sendable {
    public var path: String
    /// Mask paths are relative to this folder (the prompts file's).
    public var baseDirectory: String
    public var studies: [String: StudyPrompts]
    /// SHA-256 of the file (recorded in manifests; each study's own entry is hashed separately).
    public var sha256: String

    /// `allowAbsolutePaths`: `from_mask` may name a file anywhere (`--allow-absolute-data-file`); by
    /// default masks must lie in the prompts file's folder or below.
    public static func load(path: String, allowAbsolutePaths: Bool = false) throws -> PromptsFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw VoxSAMError(.notFound, "the prompts file cannot be read; check the path", path: path)
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let list: [StudyPrompts]
        if path.lowercased().hasSuffix(".csv") {
            list = try parseCSV(String(decoding: data, as: UTF8.self), path: path)
        } else if path.lowercased().hasSuffix(".json") {
            list = try parseJSON(data, path: path)
        } else {
            throw VoxSAMError(.unsupportedFormat, "a prompts file must end in .csv or .json", path: path)
        }
        var studies: [String: StudyPrompts] = [:]
        for s in list {
            for o in s.objects { if let m = o.fromMask { try checkMaskPath(m, origin: s.origin, base: base, allowAbsolute: allowAbsolutePaths, path: path) } }
            if var existing = studies[s.study] {
                // CSV: one row per object.
                guard existing.series == s.series || s.series == nil, existing.image == s.image || s.image == nil else {
                    throw VoxSAMError(.invalidArgument, "\(s.origin): study `\(s.study)` is given another series or image than on \(existing.origin)", path: path)
                }
                existing.objects += s.objects
                studies[s.study] = existing
            } else {
                studies[s.study] = s
            }
        }
        return PromptsFile(path: path, baseDirectory: base, studies: studies, sha256: SHA256.hex(of: data))
    }

    public init(path: String, baseDirectory: String, studies: [String: StudyPrompts], sha256: String) {
        self.path = path; self.baseDirectory = baseDirectory; self.studies = studies; self.sha256 = sha256
    }

    /// A mask path from the file, made absolute (relative paths are relative to the prompts file's folder).
    public func resolve(maskPath m: String) -> String {
        m.hasPrefix("/") ? m : URL(fileURLWithPath: baseDirectory).appendingPathComponent(m).standardizedFileURL.path
    }

    // MARK: CSV

    static let csvColumns = ["study", "series", "image", "name", "label", "box", "box_mm", "from_mask", "mask_label", "key_slice", "color"]

    static func parseCSV(_ text: String, path: String) throws -> [StudyPrompts] {
        let table = try CSVTable.parse(text, path: path)
        let file = URL(fileURLWithPath: path).lastPathComponent
        for h in table.header where !csvColumns.contains(h) {
            throw VoxSAMError(.invalidArgument, "\(file):1: unknown column `\(h)`; columns are \(csvColumns.joined(separator: ", "))", path: path)
        }
        guard table.header.contains("study") else {
            throw VoxSAMError(.invalidArgument, "\(file):1: the header needs a `study` column", path: path)
        }
        return try table.rows.map { row in
            let origin = "\(file):\(row.line)"
            func value(_ column: String) -> String? {
                guard let i = table.header.firstIndex(of: column), i < row.fields.count else { return nil }
                let v = row.fields[i].trimmingCharacters(in: .whitespaces)
                return v.isEmpty ? nil : v
            }
            func fail(_ column: String, _ message: String) -> VoxSAMError {
                VoxSAMError(.invalidArgument, "\(origin): \(column): \(message)", path: path)
            }
            func int(_ column: String) throws -> Int? {
                guard let v = value(column) else { return nil }
                guard let i = Int(v) else { throw fail(column, "`\(v)` is not a whole number") }
                return i
            }
            func numbers(_ column: String, count: Int) throws -> [Double]? {
                guard let v = value(column) else { return nil }
                let parts = v.split(whereSeparator: { $0 == "," || $0 == " " || $0 == ";" }).map { Double($0) }
                guard parts.count == count, parts.allSatisfy({ $0 != nil }) else {
                    throw fail(column, "`\(v)` must be \(count) numbers separated by commas (quoted) or spaces")
                }
                return parts.map { $0! }
            }
            guard let study = value("study") else { throw fail("study", "is empty; every row names its study (the folder name)") }
            var spec = ObjectSpec(name: value("name"), label: try int("label"), fromMask: value("from_mask"),
                                  maskLabel: try int("mask_label"), keySlice: try int("key_slice"))
            if let b = try numbers("box", count: 6) {
                guard b.allSatisfy({ $0 == $0.rounded() && abs($0) < 1e9 }) else { throw fail("box", "voxel indices must be whole numbers") }
                spec.box = b.map { Int($0) }
            }
            spec.boxMM = try numbers("box_mm", count: 6)
            if let c = try numbers("color", count: 3) {
                guard c.allSatisfy({ (0...255).contains($0) && $0 == $0.rounded() }) else { throw fail("color", "must be r g b with whole numbers 0…255") }
                spec.color = c.map { Int($0) }
            }
            let given = [spec.box != nil, spec.boxMM != nil, spec.fromMask != nil].filter { $0 }.count
            guard given <= 1 else { throw fail("box", "give one of box, box_mm or from_mask per row") }
            let hasObject = given == 1
            if hasObject { try spec.check(fail: fail) }
            if !hasObject && (spec.name != nil || spec.label != nil) {
                throw fail("box", "the row names an object but gives no box, box_mm or from_mask")
            }
            let s = StudyPrompts(study: study, series: value("series"), image: value("image"),
                                 objects: hasObject ? [spec] : [], origin: origin)
            try validate(s, path: path)
            return s
        }
    }

    // MARK: JSON

    static let studyKeys = ["study", "series", "image", "objects"]

    static func parseJSON(_ data: Data, path: String) throws -> [StudyPrompts] {
        let root: Any
        do { root = try JSONSerialization.jsonObject(with: data) } catch {
            throw VoxSAMError(.invalidArgument, "not valid JSON: \(error.localizedDescription)", path: path)
        }
        var entries: [(String?, Any)] = []
        let top = (root as? [String: Any])?["studies"] ?? root
        if let list = top as? [Any] {
            entries = list.map { (nil, $0) }
        } else if let dict = top as? [String: Any] {
            entries = dict.keys.sorted().map { ($0, dict[$0]!) }
        } else {
            throw VoxSAMError(.invalidArgument, "expected {\"studies\": [{\"study\": NAME, \"objects\": [...]}, ...]}", path: path)
        }
        return try entries.enumerated().map { n, entry in
            let (key, value) = entry
            guard let d = value as? [String: Any] else {
                throw VoxSAMError(.invalidArgument, "studies[\(key ?? String(n))] must be an object with study and objects", path: path)
            }
            let study = key ?? (d["study"] as? String) ?? ""
            let origin = "studies[\(key.map { "\"\($0)\"" } ?? String(n))]"
            func fail(_ field: String, _ message: String) -> VoxSAMError {
                VoxSAMError(.invalidArgument, "\(origin).\(field): \(message)", path: path)
            }
            for k in d.keys where !studyKeys.contains(k) { throw fail(k, "unknown key; expected \(studyKeys.joined(separator: ", "))") }
            guard !study.isEmpty else { throw fail("study", "missing; name the study folder") }
            let objectsAny = d["objects"] ?? []
            guard let objects = objectsAny as? [Any] else { throw fail("objects", "must be a list") }
            let specs: [ObjectSpec] = try objects.enumerated().map { m, o in
                guard let od = o as? [String: Any] else { throw fail("objects[\(m)]", "must be an object") }
                return try ObjectSpec.parse(json: od) { field, message in fail("objects[\(m)].\(field)", message) }
            }
            let s = StudyPrompts(study: study, series: d["series"] as? String, image: d["image"] as? String, objects: specs, origin: origin)
            try validate(s, path: path)
            return s
        }
    }

    /// A mask path stays in the prompts file's folder or below (no `..` out of it, no absolute path
    /// unless allowed), so a prompts file cannot make VoxSAM read arbitrary files.
    static func checkMaskPath(_ m: String, origin: String, base: String, allowAbsolute: Bool, path: String) throws {
        if m.hasPrefix("/") {
            guard allowAbsolute else {
                throw VoxSAMError(.invalidArgument, "\(origin): from_mask `\(m)` is an absolute path; masks must lie in the prompts file's folder or below (or pass --allow-absolute-data-file)", path: path)
            }
            return
        }
        let root = URL(fileURLWithPath: base).standardizedFileURL.path
        let resolved = URL(fileURLWithPath: base).appendingPathComponent(m).standardizedFileURL.path
        guard resolved.hasPrefix(root.hasSuffix("/") ? root : root + "/") else {
            throw VoxSAMError(.invalidArgument, "\(origin): from_mask `\(m)` leads out of the prompts file's folder; masks must lie in it or below", path: path)
        }
    }

    static func validate(_ s: StudyPrompts, path: String) throws {
        guard !s.study.contains("/"), s.study != ".", s.study != ".." else {
            throw VoxSAMError(.invalidArgument, "\(s.origin): study `\(s.study)` must be a folder name, not a path", path: path)
        }
        if let image = s.image, image.hasPrefix("/") || image.split(separator: "/").contains("..") {
            throw VoxSAMError(.invalidArgument, "\(s.origin): image `\(image)` must be a path inside the study folder", path: path)
        }
    }
}
