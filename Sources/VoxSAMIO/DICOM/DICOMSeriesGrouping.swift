/// One frame of one scanned file: the unit that is grouped, sorted and stacked.
struct DICOMFrameRef: Hashable, Sendable {
    /// Index into the scan's image headers.
    var file: Int
    /// 0-based frame (or mosaic tile) inside the file.
    var frame: Int
}

/// Frames that form one series candidate.
struct DICOMSeriesGroup: Sendable {
    /// SeriesInstanceUID; "<uid>#<n>" when one UID had to be split; "synthetic-<hash>" without a UID.
    var key: String
    /// The SeriesInstanceUID the frames carry (nil when empty).
    var seriesInstanceUID: String?
    /// Frames in (InstanceNumber, path, frame) order.
    var frames: [DICOMFrameRef]
    var warnings: [String] = []
}

/// Groups frames into series: by SeriesInstanceUID (a stable synthetic key when it is empty),
/// then splits a group whose frames cannot share one grid (SeriesNumber, Rows/Columns,
/// ImageOrientationPatient, PixelSpacing, SamplesPerPixel differ).
enum DICOMSeriesGrouping {
    static func group(_ headers: [DICOMFileHeader]) -> [DICOMSeriesGroup] {
        var order: [String] = []
        var buckets: [String: [Int]] = [:]
        for (i, h) in headers.enumerated() {
            let key = primaryKey(h)
            if buckets[key] == nil { order.append(key) }
            buckets[key, default: []].append(i)
        }
        var groups: [DICOMSeriesGroup] = []
        for key in order {
            let files = buckets[key]!
            var frames: [DICOMFrameRef] = []
            for f in files { for n in 0..<headers[f].frames.count { frames.append(DICOMFrameRef(file: f, frame: n)) } }
            frames.sort { a, b in
                let ha = headers[a.file], hb = headers[b.file]
                let ia = ha.instanceNumber ?? Int.max, ib = hb.instanceNumber ?? Int.max
                if ia != ib { return ia < ib }
                if ha.path != hb.path { return ha.path < hb.path }
                return a.frame < b.frame
            }
            let uid = headers[files[0]].seriesInstanceUID
            groups.append(contentsOf: split(key: key, uid: uid.isEmpty ? nil : uid, frames: frames, headers: headers))
        }
        return groups
    }

    /// SeriesInstanceUID, or a stable synthetic key from what identifies a series without it.
    static func primaryKey(_ h: DICOMFileHeader) -> String {
        if !h.seriesInstanceUID.isEmpty { return h.seriesInstanceUID }
        let identity = [h.studyInstanceUID, h.frameOfReferenceUID, h.seriesNumber.map(String.init) ?? "",
                        h.modality, h.seriesDescription, h.attributes["SeriesDate"] ?? "", h.attributes["SeriesTime"] ?? ""]
        return "synthetic-" + fnv1a64Hex(identity.joined(separator: "|"))
    }

    /// What frames must share to be stacked into one volume.
    private struct Signature {
        var seriesNumber: Int?
        var rows: Int
        var columns: Int
        var samplesPerPixel: Int
        var orientation: DICOMOrientation?
        var pixelSpacing: SIMD2<Double>?

        init(_ h: DICOMFileHeader, _ f: DICOMFrameAttributes) {
            seriesNumber = h.seriesNumber
            rows = h.image.rows
            columns = h.image.columns
            samplesPerPixel = h.image.samplesPerPixel
            orientation = f.orientation
            pixelSpacing = f.pixelSpacing
        }

        /// Names of the attributes that differ (empty when compatible).
        func differences(from o: Signature) -> [String] {
            var d: [String] = []
            if seriesNumber != o.seriesNumber { d.append(DICOMTag.seriesNumber.description) }
            if rows != o.rows || columns != o.columns { d.append("Rows/Columns (0028,0010)/(0028,0011)") }
            if samplesPerPixel != o.samplesPerPixel { d.append(DICOMTag.samplesPerPixel.description) }
            switch (orientation, o.orientation) {
            case (nil, nil): break
            case let (a?, b?): if !a.isClose(to: b) { d.append(DICOMTag.imageOrientationPatient.description) }
            default: d.append(DICOMTag.imageOrientationPatient.description)
            }
            switch (pixelSpacing, o.pixelSpacing) {
            case (nil, nil): break
            case let (a?, b?):
                if max(abs(a.x - b.x), abs(a.y - b.y)) > 1e-3 * max(1, a.x, a.y) { d.append(DICOMTag.pixelSpacing.description) }
            default: d.append(DICOMTag.pixelSpacing.description)
            }
            return d
        }
    }

    private static func split(key: String, uid: String?, frames: [DICOMFrameRef], headers: [DICOMFileHeader]) -> [DICOMSeriesGroup] {
        var signatures: [Signature] = []
        var members: [[DICOMFrameRef]] = []
        for ref in frames {
            let h = headers[ref.file]
            let s = Signature(h, h.frames[ref.frame])
            if let i = signatures.firstIndex(where: { $0.differences(from: s).isEmpty }) {
                members[i].append(ref)
            } else {
                signatures.append(s)
                members.append([ref])
            }
        }
        if members.count == 1 { return [DICOMSeriesGroup(key: key, seriesInstanceUID: uid, frames: frames)] }
        let keys = members.indices.map { "\(key)#\($0 + 1)" }
        var differing: [String] = []
        for s in signatures.dropFirst() {
            for d in s.differences(from: signatures[0]) where !differing.contains(d) { differing.append(d) }
        }
        let what = uid.map { "SeriesInstanceUID (0020,000E) \($0)" } ?? "the images without SeriesInstanceUID (0020,000E)"
        let note = "\(what) holds \(members.count) image sets that cannot form one volume (they differ in "
            + differing.joined(separator: ", ") + "); split into series " + keys.joined(separator: ", ")
        return members.indices.map { i in
            DICOMSeriesGroup(key: keys[i], seriesInstanceUID: uid, frames: members[i], warnings: [note])
        }
    }

    /// 64-bit FNV-1a of the UTF-8 bytes, as 16 hex digits (stable across runs and platforms).
    static func fnv1a64Hex(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let s = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
