import Foundation
import VoxSAMCore
import VoxSAMIO

/// Box-prompt propagation through a volume, one encoder pass per slice shared by all objects.
///
/// Per object (reference, ../shared/reference/README.md §2.1–2.5): key slice zk = middle of the box's
/// slice range (or the prompt's key slice); visit zk, zk+1, … z1, then zk−1, … z0. The key slice
/// uses the box; every other slice the bounding box (+3 px) of the neighbouring slice's mask, or
/// the key box when that mask vanished. Later objects overwrite earlier ones. A slice with a user's
/// `KeyBox` uses that box instead, and the slices beyond it follow its mask.
///
/// All objects move in lockstep — an upward sweep over slices, then a downward one — so each slice
/// is encoded once; embeddings still needed by the downward sweep are kept, the rest dropped.
/// The outcome is identical to running the objects one after another.
public final class Propagator<Model: SliceSegmentationModel> {
    public struct Settings: Sendable {
        public var mode: PropagationMode = .reference
        public var axis = SliceAxis(2)
        /// Slices whose predicted IoU is below this are flagged as low confidence (with the other
        /// `ConfidenceFlags`).
        public var lowConfidenceIoU: Float = ConfidenceFlags.defaultLowIoU
        /// A candidate rule, measured by `PropagationRuleTests` (not a user option): a direction stops
        /// once a propagated slice's predicted IoU falls below this, and that slice's mask is dropped.
        public var stopBelowIoU: Float?
        /// Slices between two key slices (the start slice, key boxes) are also propagated back from the
        /// farther one, and each keeps the mask with the higher predicted IoU (measured better on the
        /// reference cases, `PropagationRuleTests`); false: outwards only (for that measurement).
        public var keySlicesFromBothSides = true
        public init() {}
    }

    public let model: Model
    public var settings: Settings
    /// Called after each encoded slice: (slices done, slices total).
    public var progress: ((Int, Int) -> Void)?
    /// Embeddings kept between runs (`--cache DIR`); used when the model can archive its embeddings.
    public var cache: EmbeddingCache?

    public init(model: Model, settings: Settings = Settings()) {
        self.model = model
        self.settings = settings
    }

    private struct Track {
        var prompt: ObjectPrompt
        var keyBox: SIMD4<Int>
        var keyBoxes: [Int: SIMD4<Int>]
        var slices: ClosedRange<Int>
        var key: Int
        var masks: [Int: [UInt8]] = [:]   // slice → mask holding the label value
        /// The 5th–95th percentile of the start slice's mask intensities (the object's own range).
        var band: (lo: Int, hi: Int)?
        var records: [SliceRecord] = []
        var stoppedUp = false, stoppedDown = false
        /// With an earlier run (`refine`): the slices computed afresh (nil: every slice; empty: none),
        /// and the earlier run's records by slice, replayed (the decoder on the recorded box) where
        /// another object's change needs this object's mask again, kept as they were elsewhere.
        var fresh: Set<Int>?
        var earlier: [Int: SliceRecord] = [:]
        /// Slices between two key slices on the upper side, propagated back downwards from the upper
        /// one (`backDown`), and on the lower side, back upwards (`backUp`); the back chain's own masks.
        var backDown = Set<Int>(), backUp = Set<Int>()
        var backMasks: [Int: [UInt8]] = [:]
        var backStopped = false

        /// The earlier record to replay on slice `z`, when `z` is not computed afresh.
        func replay(_ z: Int) -> SliceRecord? {
            guard let f = fresh, !f.contains(z) else { return nil }
            return earlier[z]
        }
        func isFresh(_ z: Int) -> Bool { fresh?.contains(z) ?? true }

        /// Whether slice `z` is a key slice: the start slice or one with a key box.
        func isAnchor(_ z: Int) -> Bool { z == key || keyBoxes[z] != nil }

        /// The slices between consecutive key slices (each side of the start slice), for the back passes.
        mutating func planBackPasses() {
            let anchors = ([key] + keyBoxes.keys.filter { slices.contains($0) }).sorted()
            for (a, b) in zip(anchors, anchors.dropFirst()) where b - a > 1 {
                for z in (a + 1)..<b where isFresh(z) {
                    if a >= key { backDown.insert(z) } else { backUp.insert(z) }
                }
            }
        }
    }

    /// Segments `prompts` in the 8-bit volume `image8` (already windowed). With `earlier` — a run of
    /// the same model and settings on the same image — only slices whose result can change are
    /// computed (`RefinePlan`); the outcome is identical to a run without it.
    public func run(image8: Volume, prompts: [ObjectPrompt], earlier: EarlierRun? = nil) throws -> SegmentationResult {
        let start = Date()
        model.resetThreadUsage()
        let axis = settings.axis
        let size = image8.size
        try PromptSource.validate(prompts, size: size, axis: axis.axis)
        guard case .uint8(let pixels) = image8.voxels else {
            throw VoxSAMError(.internal, "propagation needs a windowed uint8 volume")
        }
        let depth = axis.count(size), h = axis.height(size), w = axis.width(size)
        var tracks: [Track] = prompts.map { p in
            let (box, range) = axis.planeBox(p.box)
            let r = max(range.lowerBound, 0)...min(range.upperBound, depth - 1)
            let key = p.keySlice ?? Int(Double(r.upperBound - r.lowerBound) / 2 + Double(r.lowerBound))
            return Track(prompt: p, keyBox: box, keyBoxes: Dictionary(p.keyBoxes.map { ($0.slice, $0.plane) }, uniquingKeysWith: { a, _ in a }),
                         slices: r, key: key)
        }
        // With an earlier run: which slices change, and per object what is computed afresh.
        var dirty: Set<Int>?
        if let earlier {
            guard earlier.labelMap.size == size else {
                throw VoxSAMError(.invalidArgument, "the earlier label map (\(earlier.labelMap.size.x)×\(earlier.labelMap.size.y)×\(earlier.labelMap.size.z)) is not on the image's grid (\(size.x)×\(size.y)×\(size.z))")
            }
            let plan = RefinePlan(prompts: prompts, keys: tracks.map(\.key), earlier: earlier.objects, axis: axis, depth: depth)
            for n in tracks.indices {
                tracks[n].fresh = plan.fresh[n]
                if let e = plan.matched[n] {
                    tracks[n].earlier = Dictionary(e.slices.map { ($0.slice, $0) }, uniquingKeysWith: { a, _ in a })
                    if plan.fresh[n] != nil { tracks[n].band = e.intensityBand.map { ($0.lowerBound, $0.upperBound) } }
                }
            }
            dirty = plan.dirty
        }
        if settings.keySlicesFromBothSides {
            for n in tracks.indices { tracks[n].planBackPasses() }
        }
        /// Whether object `t` is segmented (afresh or replayed) on slice `z` of its range.
        func visits(_ t: Track, _ z: Int) -> Bool {
            guard let dirty else { return true }
            return dirty.contains(z) && (t.isFresh(z) || t.earlier[z] != nil)
        }
        // Which slices each sweep visits: upwards, downwards (with the upper back passes), and upwards
        // again for the lower back passes; how often the later sweeps still need each slice.
        var needUp = Set<Int>(), downUse = [Int: Int](), backUpUse = [Int: Int]()
        for t in tracks {
            for z in t.key...t.slices.upperBound where visits(t, z) { needUp.insert(z) }
            for z in stride(from: t.key - 1, through: t.slices.lowerBound, by: -1) where visits(t, z) { downUse[z, default: 0] += 1 }
            for z in t.backDown { downUse[z, default: 0] += 1 }
            for z in t.backUp { backUpUse[z, default: 0] += 1 }
        }
        let unique = needUp.union(downUse.keys).union(backUpUse.keys).count
        var cache: [Int: Model.Embedding] = [:]
        var encoded = 0, visited = 0, cacheHits = 0
        let identity = self.cache == nil ? nil : model.embeddingIdentity
        /// Slice `z`'s embedding: kept from the upward sweep, else from the embedding cache, else encoded
        /// (and stored in the cache).
        func embedding(_ z: Int, _ slice: [UInt8]) -> Model.Embedding {
            if let e = cache[z] { return e }
            visited += 1
            defer { progress?(visited, unique) }
            let key = identity.map { EmbeddingCache.key(identity: $0, slice: slice, height: h, width: w) }
            if let store = self.cache, let key, let d = store.load(key) {
                if let e = model.unarchive(d, height: h, width: w) {
                    cacheHits += 1
                    return e
                }
                store.rejected(key)
            }
            let e = model.embed(slice, height: h, width: w)
            encoded += 1
            if let store = self.cache, let key, let d = model.archive(e) { store.store(key, d) }
            return e
        }
        let pixelArea = axis.pixelArea(image8.geometry)
        let adaptive = settings.mode == .adaptive

        /// Segments slice `z` of object `t` (its mask and record): from the neighbour's mask towards the
        /// start slice (`neighbour`), or with `back`, from the next slice's mask in the back chain;
        /// `replay`: with the box an earlier run recorded there.
        func decode(_ t: inout Track, z: Int, neighbour: Int?, back: Bool = false, e: Model.Embedding, slice: [UInt8],
                    replay: SliceRecord? = nil) -> (mask: [UInt8], record: SliceRecord) {
            var source = BoxSource.input
            var box = model.modelBox(fromPixels: t.keyBox, height: h, width: w)
            if let r = replay, r.boxModel.count == 4 {
                box = SIMD4(r.boxModel[0], r.boxModel[1], r.boxModel[2], r.boxModel[3])
                source = r.boxSource
            } else if let user = t.keyBoxes[z] {
                box = model.modelBox(fromPixels: user, height: h, width: w)
                source = .keyBox
            } else if let n = neighbour {
                // The back chain starts from a key slice's mask and goes on from its own masks.
                let prev = back && !t.isAnchor(n) ? t.backMasks[n] : t.masks[n]
                if let prev, let b = model.modelBox(fromMask: prev, height: h, width: w) {
                    box = b
                    source = back ? .nextMask : .prevMask
                } else {
                    source = .fallbackInput
                }
            }
            let (logits, iou) = model.predict(e, box: box)
            let thr = model.logitThreshold
            let label = UInt8(truncatingIfNeeded: min(t.prompt.label, 255))
            var mask = [UInt8](repeating: 0, count: h * w)
            var area = 0, hi = 0, lo = 0
            var probSum: Double = 0
            for n in 0..<(h * w) {
                let l = logits[n]
                if l > thr { mask[n] = max(label, 1); area += 1; probSum += 1 / (1 + exp(-Double(l))) }
                if l > 1 { hi += 1 }
                if l > -1 { lo += 1 }
            }
            // Tracking resizes the mask holding the label value, as the reference does (§2.3) —
            // for labels > 255 the value saturates at 255.
            // The share of the mask's pixels whose intensity lies well outside the object's own range
            // on its start slice (a leak into fat or air, bone or contrast).
            var histogram = [Int](repeating: 0, count: 256)
            for n in 0..<(h * w) where mask[n] != 0 { histogram[Int(slice[n])] += 1 }
            if t.band == nil, neighbour == nil, area > 0 {
                func percentile(_ q: Double) -> Int {
                    var seen = 0
                    for v in 0..<256 { seen += histogram[v]; if Double(seen) >= q * Double(area) { return v } }
                    return 255
                }
                t.band = (percentile(0.05), percentile(0.95))
            }
            var outliers: Float?
            if let b = t.band, area > 0 {
                let margin = max(4, (b.hi - b.lo) / 4)
                let inside = histogram[max(0, b.lo - margin)...min(255, b.hi + margin)].reduce(0, +)
                outliers = Float(area - inside) / Float(area)
            }
            let stability: Float = lo == 0 ? 1 : Float(hi) / Float(lo)
            let pb = model.pixelBox(fromModelBox: box, height: h, width: w)
            return (mask, SliceRecord(
                slice: z, boxSource: source, boxModel: [box[0], box[1], box[2], box[3]],
                boxPixels: [pb[0], pb[1], pb[2], pb[3]], iouPrediction: iou, stabilityScore: stability,
                maskAreaPixels: area, maskAreaMM2: Double(area) * pixelArea,
                meanProbability: area > 0 ? Float(probSum / Double(area)) : 0,
                lowConfidence: false, intensityOutliers: outliers))
        }
        /// Segments slice `z` of object `t` outwards from the start slice (or replays it).
        func segment(_ t: inout Track, z: Int, neighbour: Int?, e: Model.Embedding, slice: [UInt8], replay: SliceRecord? = nil) {
            let (mask, record) = decode(&t, z: z, neighbour: neighbour, e: e, slice: slice, replay: replay)
            t.masks[z] = mask
            t.records.append(record)
        }
        /// The back pass on slice `z` of object `t`, from `neighbour` (the slice beyond, towards the
        /// farther key slice): its mask replaces the outward one when its predicted IoU is higher.
        func segmentBack(_ t: inout Track, z: Int, neighbour: Int, e: Model.Embedding, slice: [UInt8]) {
            let (mask, record) = decode(&t, z: z, neighbour: neighbour, back: true, e: e, slice: slice)
            // The stopping rules of the outward passes end the back chain too (the slice's mask dropped).
            if let s = stopIoU, record.iouPrediction < s {
                t.backStopped = true
                return
            }
            t.backMasks[z] = mask
            if adaptive && record.maskAreaPixels == 0 { t.backStopped = true }
            if let i = t.records.firstIndex(where: { $0.slice == z }) {
                guard record.iouPrediction > t.records[i].iouPrediction else { return }
                t.records[i] = record
            } else {
                t.records.append(record)
            }
            t.masks[z] = mask
        }

        /// Whether object `t`'s back chain goes on to the slice after `neighbour` (it starts again at each key slice).
        func backContinues(_ t: inout Track, from neighbour: Int) -> Bool {
            if t.isAnchor(neighbour) { t.backStopped = false }
            return !t.backStopped
        }

        /// A slice's pixels (read once per slice, for the encoder and the intensity check) and embedding.
        func sliceAndEmbedding(_ z: Int) -> (embedding: Model.Embedding, slice: [UInt8]) {
            let slice = axis.slice(pixels, z, size: size)
            return (embedding(z, slice), slice)
        }
        let stopIoU = settings.stopBelowIoU
        /// After segmenting a propagated slice: does this direction stop here?
        func stops(_ t: inout Track, z: Int) -> Bool {
            let r = t.records.last!
            if let s = stopIoU, r.iouPrediction < s, r.boxSource != .keyBox {
                t.masks[z] = nil
                return true
            }
            return adaptive && r.maskAreaPixels == 0
        }
        // Upward sweep: every object from its key slice to its top. A slice is encoded only when an
        // object still needs it (with stopping rules, none may).
        for z in needUp.sorted() {
            var e: (embedding: Model.Embedding, slice: [UInt8])?
            for n in tracks.indices where tracks[n].key <= z && z <= tracks[n].slices.upperBound && visits(tracks[n], z) {
                if let r = tracks[n].replay(z) {
                    if e == nil { e = sliceAndEmbedding(z) }
                    segment(&tracks[n], z: z, neighbour: z == tracks[n].key ? nil : z - 1, e: e!.embedding, slice: e!.slice, replay: r)
                    tracks[n].stoppedUp = z != tracks[n].key && stops(&tracks[n], z: z)
                    continue
                }
                if tracks[n].stoppedUp {
                    // A key box beyond the point where the direction stopped starts the object again.
                    if tracks[n].keyBoxes[z] == nil { continue }
                    tracks[n].stoppedUp = false
                }
                if e == nil { e = sliceAndEmbedding(z) }
                segment(&tracks[n], z: z, neighbour: z == tracks[n].key ? nil : z - 1, e: e!.embedding, slice: e!.slice)
                if z != tracks[n].key && stops(&tracks[n], z: z) { tracks[n].stoppedUp = true }
            }
            if let e, (downUse[z] ?? 0) + (backUpUse[z] ?? 0) > 0 { cache[z] = e.embedding }
        }
        // Downward sweep: from below each key slice to the bottom.
        for z in downUse.keys.sorted(by: >) {
            var e: (embedding: Model.Embedding, slice: [UInt8])?
            for n in tracks.indices where tracks[n].slices.lowerBound <= z && z < tracks[n].key && visits(tracks[n], z) {
                if let r = tracks[n].replay(z) {
                    if e == nil { e = sliceAndEmbedding(z) }
                    segment(&tracks[n], z: z, neighbour: z + 1, e: e!.embedding, slice: e!.slice, replay: r)
                    tracks[n].stoppedDown = stops(&tracks[n], z: z)
                    continue
                }
                if tracks[n].stoppedDown {
                    if tracks[n].keyBoxes[z] == nil { continue }
                    tracks[n].stoppedDown = false
                }
                if e == nil { e = sliceAndEmbedding(z) }
                segment(&tracks[n], z: z, neighbour: z + 1, e: e!.embedding, slice: e!.slice)
                if stops(&tracks[n], z: z) { tracks[n].stoppedDown = true }
            }
            // Back passes of the upper side: from each key slice down towards the previous one.
            for n in tracks.indices where tracks[n].backDown.contains(z) && backContinues(&tracks[n], from: z + 1) {
                if e == nil { e = sliceAndEmbedding(z) }
                segmentBack(&tracks[n], z: z, neighbour: z + 1, e: e!.embedding, slice: e!.slice)
            }
            // Kept for the lower back passes (also when no pass needed it here), else dropped.
            if (backUpUse[z] ?? 0) > 0 {
                if let e { cache[z] = e.embedding }
            } else {
                cache[z] = nil
            }
        }
        // Back passes of the lower side: from each key slice below the start up towards the previous one.
        for z in backUpUse.keys.sorted() {
            var e: (embedding: Model.Embedding, slice: [UInt8])?
            for n in tracks.indices where tracks[n].backUp.contains(z) && backContinues(&tracks[n], from: z - 1) {
                if e == nil { e = sliceAndEmbedding(z) }
                segmentBack(&tracks[n], z: z, neighbour: z - 1, e: e!.embedding, slice: e!.slice)
            }
            cache[z] = nil
        }

        // With an earlier run, the records of slices not visited are the earlier ones; every object's
        // records in processing order (key slice, upwards, then downwards) as a single run gives them.
        for n in tracks.indices {
            if tracks[n].fresh != nil {
                let seen = Set(tracks[n].records.map(\.slice)), fresh = tracks[n].fresh ?? []
                tracks[n].records += tracks[n].earlier.values.filter { !seen.contains($0.slice) && !fresh.contains($0.slice) }
            }
            let key = tracks[n].key
            tracks[n].records.sort { a, b in
                a.slice >= key ? (b.slice < key || a.slice < b.slice) : (b.slice < key && a.slice > b.slice)
            }
        }
        // Flags for checking, once every slice of an object is known (neighbours on both sides).
        for n in tracks.indices { flag(&tracks[n].records) }

        // Assemble: later objects overwrite earlier ones (reference order = prompt order).
        let maxLabel = prompts.map(\.label).max() ?? 1
        var labelMap = image8.emptyLabelMap(maxLabel: maxLabel)
        labelMap.metadata = image8.metadata
        labelMap.metadata.warnings = []
        var counts = [Int: Int]()
        /// Slices no object changed on keep the earlier label map's voxels.
        func keep<T: FixedWidthInteger>(_ a: inout [T]) {
            guard let earlier, let dirty else { return }
            let old = earlier.labelMap.voxels
            for z in 0..<depth where !dirty.contains(z) {
                for r in 0..<h {
                    for c in 0..<w {
                        let n = axis.voxelIndex(z, r, c, size: size)
                        a[n] = T(clamping: Int(old[n]))
                    }
                }
            }
        }
        switch labelMap.voxels {
        case .uint8(var a):
            keep(&a)
            for t in tracks { paint(&a, t, UInt8(t.prompt.label), axis: axis, size: size, h: h, w: w) }
            for v in a where v != 0 { counts[Int(v), default: 0] += 1 }
            labelMap.voxels = .uint8(a)
        case .uint16(var a):
            keep(&a)
            for t in tracks { paint(&a, t, UInt16(t.prompt.label), axis: axis, size: size, h: h, w: w) }
            for v in a where v != 0 { counts[Int(v), default: 0] += 1 }
            labelMap.voxels = .uint16(a)
        default: break
        }
        let g = image8.geometry
        let voxelML = abs(g.stepMatrix.determinant) / 1000
        let objects = tracks.map { t in
            ObjectResult(prompt: t.prompt, slices: t.records, voxels: counts[t.prompt.label] ?? 0,
                         volumeML: Double(counts[t.prompt.label] ?? 0) * voxelML,
                         intensityBand: t.band.map { $0.lo...$0.hi })
        }
        return SegmentationResult(labelMap: labelMap, objects: objects, axis: axis, encoderCalls: encoded,
                                  cacheHits: self.cache == nil ? nil : cacheHits,
                                  uniqueSlices: unique, lowConfidenceThreshold: settings.lowConfidenceIoU,
                                  mode: settings.mode, seconds: Date().timeIntervalSince(start),
                                  threads: model.threadUsage, precision: model.precision)
    }

    /// Sets each record's `flags` and `lowConfidence` (see `ConfidenceFlags`).
    private func flag(_ records: inout [SliceRecord]) {
        var area: [Int: Int] = [:]
        for r in records { area[r.slice] = r.maskAreaPixels }
        for i in records.indices {
            let r = records[i]
            var flags: [SliceRecord.Flag] = []
            if r.iouPrediction < settings.lowConfidenceIoU { flags.append(.lowIoU) }
            if r.stabilityScore < ConfidenceFlags.minimumStability { flags.append(.unstable) }
            let jump = [r.slice - 1, r.slice + 1].compactMap { area[$0] }.contains { other in
                let (a, b) = (Double(max(r.maskAreaPixels, other)), Double(max(1, min(r.maskAreaPixels, other))))
                return a / b > ConfidenceFlags.areaJump
            }
            if jump { flags.append(.areaJump) }
            if let o = r.intensityOutliers, o > ConfidenceFlags.intensityOutliers { flags.append(.intensity) }
            records[i].flags = flags
            records[i].lowConfidence = !flags.isEmpty
        }
    }

    private func paint<T: FixedWidthInteger>(_ a: inout [T], _ t: Track, _ value: T, axis: SliceAxis, size: SIMD3<Int>, h: Int, w: Int) {
        for (z, mask) in t.masks {
            for r in 0..<h {
                for c in 0..<w where mask[r * w + c] != 0 {
                    a[axis.voxelIndex(z, r, c, size: size)] = value
                }
            }
        }
    }
}
