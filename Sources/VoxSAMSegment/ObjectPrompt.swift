import Foundation
import VoxSAMCore
import VoxSAMIO

/// A 3D box in voxel indices, 0-based and inclusive: x = i (column), y = j (row), z = k (slice).
public struct VoxelBox: Sendable, Equatable, Codable, CustomStringConvertible {
    public var x0, y0, z0, x1, y1, z1: Int

    public init(x0: Int, y0: Int, z0: Int, x1: Int, y1: Int, z1: Int) {
        self.x0 = x0; self.y0 = y0; self.z0 = z0; self.x1 = x1; self.y1 = y1; self.z1 = z1
    }

    /// `[x0, y0, z0, x1, y1, z1]`.
    public init(_ v: [Int]) {
        self.init(x0: v[0], y0: v[1], z0: v[2], x1: v[3], y1: v[4], z1: v[5])
    }

    public var array: [Int] { [x0, y0, z0, x1, y1, z1] }
    public var description: String { array.map(String.init).joined(separator: ",") }

    /// Lower/upper index along axis a (0 = i, 1 = j, 2 = k).
    public func range(axis a: Int) -> ClosedRange<Int> {
        a == 0 ? x0...x1 : a == 1 ? y0...y1 : z0...z1
    }

    /// Parses `x0,y0,z0,x1,y1,z1`.
    public static func parse(_ text: String, what: String) throws -> VoxelBox {
        let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 6, parts.allSatisfy({ $0 != nil }) else {
            throw VoxSAMError(.invalidArgument, "\(what): box `\(text)` must be six integers x0,y0,z0,x1,y1,z1 (voxel indices, inclusive)")
        }
        return VoxelBox(parts.map { $0! })
    }
}

/// A 2D box on one slice of the slicing axis, given to correct or guide an object: `box` is
/// `[x0, y0, x1, y1]` in voxel indices of the slice plane, inclusive (x = the plane's column, y = its
/// row, as `SliceAxis.planeBox` takes them from a 3D box: i and j for axis k). On its slice it replaces
/// the box propagation would use, and propagation continues from its mask.
public struct KeyBox: Sendable, Equatable, Codable {
    public var slice: Int
    public var box: [Int]

    public init(slice: Int, box: [Int]) {
        self.slice = slice
        self.box = box
    }

    /// The box as `SIMD4(x0, y0, x1, y1)` (a valid key box has four values).
    public var plane: SIMD4<Int> { SIMD4(box[0], box[1], box[2], box[3]) }

    /// `x0,y0,x1,y1`.
    public static func parsePlane(_ text: String, what: String) throws -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 4, parts.allSatisfy({ $0 != nil }) else {
            throw VoxSAMError(.invalidArgument, "\(what): box `\(text)` must be four integers x0,y0,x1,y1 (voxel indices of the slice, inclusive)")
        }
        return parts.map { $0! }
    }
}

/// One object to segment.
public struct ObjectPrompt: Sendable, Equatable {
    public var name: String
    /// Label value in the output (1…65535).
    public var label: Int
    public var box: VoxelBox
    /// Slice to start from; nil = the middle of the box's slice range (the reference rule).
    public var keySlice: Int?
    public var color: RGB?
    /// 2D boxes on slices of the object's range (corrections), at most one per slice.
    public var keyBoxes: [KeyBox]

    public init(name: String, label: Int, box: VoxelBox, keySlice: Int? = nil, color: RGB? = nil, keyBoxes: [KeyBox] = []) {
        self.name = name; self.label = label; self.box = box; self.keySlice = keySlice; self.color = color
        self.keyBoxes = keyBoxes
    }

    /// Checks the box against the volume size: inside, not inverted, not empty; names the object.
    public func validate(size: SIMD3<Int>, axis: Int = 2) throws {
        let b = box
        let what = "object `\(name)` (label \(label))"
        try LabelValue.check(label, what)
        for (a, lo, hi, n) in [(0, b.x0, b.x1, "x"), (1, b.y0, b.y1, "y"), (2, b.z0, b.z1, "z")] {
            guard lo <= hi else {
                throw VoxSAMError(.invalidArgument, "\(what): box \(b) is inverted along \(n) (\(n)0 = \(lo) > \(n)1 = \(hi))")
            }
            guard lo >= 0, hi < size[a] else {
                throw VoxSAMError(.invalidArgument, "\(what): box \(b) lies outside the volume along \(n) (valid 0…\(size[a] - 1))")
            }
        }
        let plane = [0, 1, 2].filter { $0 != axis }
        guard b.range(axis: plane[0]).count > 1, b.range(axis: plane[1]).count > 1 else {
            throw VoxSAMError(.invalidArgument, "\(what): box \(b) is empty in the slice plane (it must span at least 2 voxels in each in-plane direction)")
        }
        if let k = keySlice, !b.range(axis: axis).contains(k) {
            throw VoxSAMError(.invalidArgument, "\(what): key slice \(k) is outside the box's slice range \(b.range(axis: axis))")
        }
        let axisName = ["i", "j", "k"][axis]
        var seen = Set<Int>()
        for kb in keyBoxes {
            let at = "\(what): key box on slice \(kb.slice)"
            guard kb.box.count == 4 else { throw VoxSAMError(.invalidArgument, "\(at): needs four numbers x0,y0,x1,y1") }
            guard seen.insert(kb.slice).inserted else {
                throw VoxSAMError(.invalidArgument, "\(at): the object has two key boxes on this slice (give one per slice)")
            }
            guard (0..<size[axis]).contains(kb.slice) else {
                throw VoxSAMError(.invalidArgument, "\(at): the slice lies outside the volume (\(axisName) 0…\(size[axis] - 1))")
            }
            guard b.range(axis: axis).contains(kb.slice) else {
                throw VoxSAMError(.invalidArgument, "\(at): the slice lies outside the object's slice range \(b.range(axis: axis)) (widen its box)")
            }
            let (c, r) = (SliceAxis(axis).columnAxis, SliceAxis(axis).rowAxis)
            for (lo, hi, n, a) in [(kb.box[0], kb.box[2], "x", c), (kb.box[1], kb.box[3], "y", r)] {
                guard lo <= hi else {
                    throw VoxSAMError(.invalidArgument, "\(at): box \(kb.box) is inverted along \(n) (\(n)0 = \(lo) > \(n)1 = \(hi))")
                }
                guard lo < hi else {
                    throw VoxSAMError(.invalidArgument, "\(at): box \(kb.box) is empty along \(n) (it must span at least 2 voxels)")
                }
                guard lo >= 0, hi < size[a] else {
                    throw VoxSAMError(.invalidArgument, "\(at): box \(kb.box) lies outside the slice along \(n) (valid 0…\(size[a] - 1))")
                }
            }
        }
    }
}

/// Builds prompts from the ways a user can give them.
public enum PromptSource {
    /// Two opposite corners in patient LPS millimetres → the voxel box that covers them.
    public static func box(fromMillimetres corners: [Double], geometry: Geometry, what: String) throws -> VoxelBox {
        guard corners.count == 6 else {
            throw VoxSAMError(.invalidArgument, "\(what): --box-mm needs six numbers x0,y0,z0,x1,y1,z1 (LPS mm)")
        }
        let (a, b) = try continuousIndices(corners, geometry: geometry, what: what)
        let i = { (v: Double) throws -> Int in try voxelIndex(v, what: "\(what): box_mm \(corners.map { String(format: "%g", $0) }.joined(separator: ","))") }
        return VoxelBox(x0: try i(min(a.x, b.x)), y0: try i(min(a.y, b.y)), z0: try i(min(a.z, b.z)),
                        x1: try i(max(a.x, b.x)), y1: try i(max(a.y, b.y)), z1: try i(max(a.z, b.z)))
    }

    /// The continuous voxel indices of two corners `[x0, y0, z0, x1, y1, z1]` in LPS millimetres.
    public static func continuousIndices(_ corners: [Double], geometry: Geometry, what: String) throws -> (SIMD3<Double>, SIMD3<Double>) {
        guard let a = geometry.continuousIndex(world: SIMD3(corners[0], corners[1], corners[2])),
              let b = geometry.continuousIndex(world: SIMD3(corners[3], corners[4], corners[5])) else {
            throw VoxSAMError(.geometry, "\(what): the volume geometry is singular")
        }
        return (a, b)
    }

    /// A continuous voxel index from millimetres, rounded; an error (never a trap) when it is not
    /// finite or lies absurdly far outside any volume.
    public static func voxelIndex(_ v: Double, what: String) throws -> Int {
        let r = v.rounded()
        guard r.isFinite, abs(r) < 1e9 else {
            throw VoxSAMError(.invalidArgument, "\(what) lies far outside the volume (voxel index \(String(format: "%g", v)))")
        }
        return Int(r)
    }

    /// One 3D bounding box per label of an existing label map (same grid as the image).
    public static func fromLabelMap(_ labels: Volume, only: [Int]? = nil, names: [Int: String] = [:]) throws -> [ObjectPrompt] {
        let s = labels.size
        var boxes: [Int: VoxelBox] = [:]
        for k in 0..<s.z {
            for j in 0..<s.y {
                for i in 0..<s.x {
                    let v = Int(labels.voxels[labels.linearIndex(i, j, k)])
                    guard v > 0 else { continue }
                    if var b = boxes[v] {
                        b.x0 = min(b.x0, i); b.x1 = max(b.x1, i); b.y0 = min(b.y0, j); b.y1 = max(b.y1, j)
                        b.z0 = min(b.z0, k); b.z1 = max(b.z1, k)
                        boxes[v] = b
                    } else {
                        boxes[v] = VoxelBox(x0: i, y0: j, z0: k, x1: i, y1: j, z1: k)
                    }
                }
            }
        }
        let wanted = only ?? boxes.keys.sorted()
        return try wanted.map { l in
            guard let b = boxes[l] else {
                throw VoxSAMError(.invalidArgument, "label \(l) does not occur in the mask", path: labels.metadata.sourcePath)
            }
            return ObjectPrompt(name: names[l] ?? "label\(l)", label: l, box: b)
        }
    }

    /// The `boxes` array of a CVPR24 `.npz`: object n gets label n + 1.
    public static func fromNPZ(path: String) throws -> [ObjectPrompt] {
        let npz = try NPZArchive.read(path: path)
        return try NPZVolume.boxes(in: npz, path: path).enumerated().map { n, b in
            ObjectPrompt(name: "object\(n + 1)", label: n + 1, box: VoxelBox(b))
        }
    }

    /// Checks labels are unique and each box fits.
    public static func validate(_ prompts: [ObjectPrompt], size: SIMD3<Int>, axis: Int) throws {
        guard !prompts.isEmpty else {
            throw VoxSAMError(.invalidArgument, "no objects to segment: give --box, --box-mm, --prompts, --from-mask, or an .npz with `boxes`")
        }
        var seen: [Int: String] = [:]
        for p in prompts {
            try p.validate(size: size, axis: axis)
            if let other = seen[p.label] {
                throw VoxSAMError(.invalidArgument, "objects `\(other)` and `\(p.name)` both use label \(p.label); give each object its own --label")
            }
            seen[p.label] = p.name
        }
    }
}
