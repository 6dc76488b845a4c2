import VoxSAMCore

/// An earlier run on the same windowed image with the same model and settings (`voxsam refine`).
public struct EarlierRun: Sendable {
    /// Its label map, on the image's grid.
    public var labelMap: Volume
    /// Its objects: prompts, slice records (with the boxes the model was given) and intensity bands.
    public var objects: [ObjectResult]

    public init(labelMap: Volume, objects: [ObjectResult]) {
        self.labelMap = labelMap
        self.objects = objects
    }
}

/// Which slices a refinement computes again. Propagation is a chain: a slice's box comes from the
/// neighbouring slice's mask towards the start slice, unless a key box sits on it, and the slices
/// between two key slices are also propagated back from the farther one. So when an object's key
/// boxes change only beyond its start slice, the slices up to the last key slice before the first
/// change stay as they were; from that key slice (replayed, to give its mask) outwards the object is
/// computed afresh. An object with another box, start slice, name or
/// label, or a new one, is computed afresh on every slice; a removed one leaves its slices.
///
/// On every slice where some object changes (`dirty`), the label map is painted again from every
/// object's mask there: objects unchanged on that slice are replayed — the decoder on the box their
/// earlier record holds, which gives the same mask — so overlaps resolve as in a single run. Other
/// slices keep the earlier label map.
public struct RefinePlan: Sendable {
    /// Per prompt: the slices computed afresh (nil: all; empty: none). Earlier records on these
    /// slices are void (a direction may now stop sooner).
    public var fresh: [Set<Int>?]
    /// Per prompt: the earlier object it continues (same name and label), if any.
    public var matched: [ObjectResult?]
    /// Slices whose label-map content may change.
    public var dirty: Set<Int>

    /// `keys`: each prompt's start slice.
    public init(prompts: [ObjectPrompt], keys: [Int], earlier: [ObjectResult], axis: SliceAxis, depth: Int) {
        fresh = []; matched = []; dirty = []
        var continued = Set<Int>()
        for (n, p) in prompts.enumerated() {
            let range = axis.planeBox(p.box).slices.clamped(to: 0...max(0, depth - 1))
            let key = keys[n]
            guard let i = earlier.firstIndex(where: { $0.prompt.name == p.name && $0.prompt.label == p.label }) else {
                fresh.append(nil); matched.append(nil)
                dirty.formUnion(range)
                continue
            }
            continued.insert(i)
            let e = earlier[i]
            matched.append(e)
            let recorded = Set(e.slices.map(\.slice))
            let earlierKey = e.slices.first?.slice
            guard e.prompt.box == p.box, earlierKey == key else {
                fresh.append(nil)
                dirty.formUnion(range)
                dirty.formUnion(recorded)
                continue
            }
            let before = Dictionary(e.prompt.keyBoxes.map { ($0.slice, $0.box) }, uniquingKeysWith: { a, _ in a })
            let after = Dictionary(p.keyBoxes.map { ($0.slice, $0.box) }, uniquingKeysWith: { a, _ in a })
            let changed = Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }
            if changed.contains(key) {
                fresh.append(nil)
                dirty.formUnion(range)
                dirty.formUnion(recorded)
                continue
            }
            var f = Set<Int>()
            // Upwards: afresh from the key slice before the first change (whose mask is replayed) to
            // the top — the slices between them are propagated back from the changed one; downwards
            // likewise. (The start slice and unchanged key boxes before the change are key slices.)
            let anchors = Set(after.keys).union([key])
            if let c = changed.filter({ $0 > key }).min(), c <= range.upperBound {
                let from = anchors.filter { $0 < c && $0 >= key }.max() ?? key
                f.formUnion((from + 1)...range.upperBound)
                dirty.insert(from)
                dirty.formUnion(recorded.filter { $0 > from })
            }
            if let c = changed.filter({ $0 < key }).max(), c >= range.lowerBound {
                let from = anchors.filter { $0 > c && $0 <= key }.min() ?? key
                f.formUnion(range.lowerBound...(from - 1))
                dirty.insert(from)
                dirty.formUnion(recorded.filter { $0 < from })
            }
            dirty.formUnion(f)
            fresh.append(f)
        }
        for (i, e) in earlier.enumerated() where !continued.contains(i) {
            dirty.formUnion(e.slices.map(\.slice))
        }
        // Two objects now in the other order overlap the other way round where both were.
        let position = matched.map { m in m.flatMap { m in earlier.firstIndex { $0.prompt.name == m.prompt.name && $0.prompt.label == m.prompt.label } } }
        for a in position.indices {
            for b in position.indices where a < b {
                guard let pa = position[a], let pb = position[b], pa > pb else { continue }
                dirty.formUnion(Set(earlier[pa].slices.map(\.slice)).intersection(earlier[pb].slices.map(\.slice)))
            }
        }
    }
}
