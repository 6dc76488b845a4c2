import Foundation
import VoxSAMCore

/// One object as a user gives it, before it meets a volume: a voxel box, a box in millimetres, or
/// the box(es) of labels in an existing mask. `voxsam segment` options, its `--prompts` file and
/// batch prompts files (JSON and CSV) all become these; `PromptResolver` turns them into boxes.
public struct ObjectSpec: Sendable, Equatable, Codable {
    public var name: String?
    public var label: Int?
    /// `[x0, y0, z0, x1, y1, z1]` voxel indices, inclusive.
    public var box: [Int]?
    /// Two opposite corners in LPS millimetres.
    public var boxMM: [Double]?
    /// A label map on the image's grid (axis order and flips may differ).
    public var fromMask: String?
    /// With `fromMask`: only this label of the mask (default: one object per label found).
    public var maskLabel: Int?
    public var keySlice: Int?
    public var color: [Int]?
    /// 2D boxes on single slices (corrections): with a 3D box, box_mm or from_mask, or alone.
    public var keyBoxes: [KeyBoxSpec]?

    public init(name: String? = nil, label: Int? = nil, box: [Int]? = nil, boxMM: [Double]? = nil, fromMask: String? = nil,
                maskLabel: Int? = nil, keySlice: Int? = nil, color: [Int]? = nil, keyBoxes: [KeyBoxSpec]? = nil) {
        self.name = name; self.label = label; self.box = box; self.boxMM = boxMM; self.fromMask = fromMask
        self.maskLabel = maskLabel; self.keySlice = keySlice; self.color = color; self.keyBoxes = keyBoxes
    }

    enum CodingKeys: String, CodingKey {
        case name, label, box, boxMM = "box_mm", fromMask = "from_mask", maskLabel = "mask_label", keySlice = "key_slice", color
        case keyBoxes = "key_boxes"
    }

    /// One key box as given: `{"slice": k, "box": [x0, y0, x1, y1]}` (voxel indices of slice k: x =
    /// column, y = row) or `{"box_mm": [x0, y0, z0, x1, y1, z1]}` (two LPS corners on the slice; `slice`
    /// optional, else the slice nearest to the corners).
    public struct KeyBoxSpec: Sendable, Equatable, Codable {
        public var slice: Int?
        public var box: [Int]?
        public var boxMM: [Double]?

        public init(slice: Int? = nil, box: [Int]? = nil, boxMM: [Double]? = nil) {
            self.slice = slice; self.box = box; self.boxMM = boxMM
        }

        enum CodingKeys: String, CodingKey { case slice, box, boxMM = "box_mm" }
    }

    // MARK: The JSON object grammar (segment --prompts, batch prompts files)

    /// The keys of one JSON object.
    public static let jsonKeys = ["name", "label", "box", "box_mm", "from_mask", "mask_label", "key_slice", "color", "key_boxes"]

    /// One JSON object (as `JSONSerialization` gives it). `fail(field, message)` makes the error
    /// with the caller's location (file, `studies[2].objects[0]`, …).
    public static func parse(json od: [String: Any], fail: (String, String) -> VoxSAMError) throws -> ObjectSpec {
        for k in od.keys where !jsonKeys.contains(k) { throw fail(k, "unknown key; expected \(jsonKeys.joined(separator: ", "))") }
        // Readers of one value of a JSON object `d`; `field` names it in errors (`box`, `key_boxes[0].slice`).
        func int(_ d: [String: Any], _ k: String, field: String) throws -> Int? {
            guard let v = d[k], !(v is NSNull) else { return nil }
            guard let n = v as? NSNumber, n.doubleValue == n.doubleValue.rounded(), abs(n.doubleValue) < 1e9 else {
                throw fail(field, "must be a whole number")
            }
            return n.intValue
        }
        func numbers(_ d: [String: Any], _ k: String, _ count: Int, field: String, message: String? = nil) throws -> [Double]? {
            guard let v = d[k], !(v is NSNull) else { return nil }
            guard let a = v as? [NSNumber], a.count == count, a.allSatisfy({ $0.doubleValue.isFinite }) else {
                throw fail(field, message ?? "must be a list of \(count) numbers")
            }
            return a.map(\.doubleValue)
        }
        /// Voxel indices: `count` whole numbers (`message`, when given, for either problem).
        func indices(_ d: [String: Any], _ k: String, _ count: Int, field: String, message: String? = nil) throws -> [Int]? {
            guard let b = try numbers(d, k, count, field: field, message: message) else { return nil }
            guard b.allSatisfy({ $0 == $0.rounded() && abs($0) < 1e9 }) else { throw fail(field, message ?? "voxel indices must be whole numbers") }
            return b.map { Int($0) }
        }
        func string(_ k: String) throws -> String? {
            guard let v = od[k], !(v is NSNull) else { return nil }
            guard let s = v as? String else { throw fail(k, "must be a string") }
            return s
        }
        var s = ObjectSpec(name: try string("name"), label: try int(od, "label", field: "label"), fromMask: try string("from_mask"),
                           maskLabel: try int(od, "mask_label", field: "mask_label"), keySlice: try int(od, "key_slice", field: "key_slice"))
        s.box = try indices(od, "box", 6, field: "box")
        s.boxMM = try numbers(od, "box_mm", 6, field: "box_mm")
        if let c = try numbers(od, "color", 3, field: "color") {
            guard c.allSatisfy({ (0...255).contains($0) && $0 == $0.rounded() }) else { throw fail("color", "must be [r, g, b] with whole numbers 0…255") }
            s.color = c.map { Int($0) }
        }
        if let v = od["key_boxes"], !(v is NSNull) {
            guard let list = v as? [Any] else { throw fail("key_boxes", "must be a list of {\"slice\": k, \"box\": [x0, y0, x1, y1]}") }
            s.keyBoxes = try list.enumerated().map { n, item in
                let field = "key_boxes[\(n)]"
                guard let kb = item as? [String: Any] else { throw fail(field, "must be {\"slice\": k, \"box\": [x0, y0, x1, y1]} or {\"box_mm\": [6 numbers]}") }
                for k in kb.keys where !["slice", "box", "box_mm"].contains(k) { throw fail("\(field).\(k)", "unknown key; expected slice, box, box_mm") }
                return KeyBoxSpec(slice: try int(kb, "slice", field: "\(field).slice"),
                                  box: try indices(kb, "box", 4, field: "\(field).box",
                                                   message: "must be four whole numbers [x0, y0, x1, y1] (voxel indices of the slice)"),
                                  boxMM: try numbers(kb, "box_mm", 6, field: "\(field).box_mm",
                                                     message: "must be six numbers [x0, y0, z0, x1, y1, z1] (two LPS corners, mm)"))
            }
        }
        try s.check(fail: fail)
        return s
    }

    /// The rules every way of giving an object shares.
    public func check(fail: (String, String) -> VoxSAMError) throws {
        let given = [box != nil, boxMM != nil, fromMask != nil].filter { $0 }.count
        guard given == 1 || (given == 0 && !(keyBoxes ?? []).isEmpty) else {
            throw fail("box", given == 0 ? "give one of box, box_mm, from_mask or key_boxes" : "give only one of box, box_mm or from_mask")
        }
        for (n, kb) in (keyBoxes ?? []).enumerated() {
            let field = "key_boxes[\(n)]"
            guard (kb.box != nil) != (kb.boxMM != nil) else { throw fail(field, "give either box (with slice) or box_mm") }
            if kb.box != nil && kb.slice == nil { throw fail("\(field).slice", "is needed with box (the slice the box is drawn on)") }
            if let b = kb.box, b.count != 4 { throw fail("\(field).box", "must be four numbers [x0, y0, x1, y1]") }
            if let b = kb.boxMM, b.count != 6 || !b.allSatisfy(\.isFinite) { throw fail("\(field).box_mm", "must be six finite numbers") }
        }
        if let l = label, let problem = LabelValue.problem(l) { throw fail("label", problem) }
        if let l = maskLabel, let problem = LabelValue.problem(l) { throw fail("mask_label", problem) }
        if maskLabel != nil && fromMask == nil { throw fail("mask_label", "is only for objects given with from_mask") }
        if let c = color, c.count != 3 || !c.allSatisfy({ (0...255).contains($0) }) {
            throw fail("color", "must be [r, g, b] with values 0…255")
        }
    }

    /// `voxsam segment --prompts FILE`: `{"objects": [ … ]}` or a bare list of objects.
    public static func load(promptsFile path: String) throws -> [ObjectSpec] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw VoxSAMError(.notFound, "the prompts file cannot be read; check the path", path: path)
        }
        let root: Any
        do { root = try JSONSerialization.jsonObject(with: data) } catch {
            throw VoxSAMError(.invalidArgument, "not valid JSON: \(error.localizedDescription)", path: path)
        }
        guard let list = ((root as? [String: Any])?["objects"] ?? root) as? [Any] else {
            throw VoxSAMError(.invalidArgument, "expected {\"objects\": [{\"name\", \"label\", \"box\" or \"box_mm\" or \"from_mask\" or \"key_boxes\", …}]}", path: path)
        }
        return try list.enumerated().map { n, o in
            func fail(_ field: String, _ message: String) -> VoxSAMError {
                VoxSAMError(.invalidArgument, "objects[\(n)].\(field): \(message)", path: path)
            }
            guard let od = o as? [String: Any] else { throw fail("", "must be an object") }
            return try parse(json: od, fail: fail)
        }
    }
}
