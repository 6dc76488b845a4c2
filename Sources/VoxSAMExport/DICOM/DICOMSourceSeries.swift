import VoxSAMCore
import VoxSAMProtocol

/// The DICOM series a label map is exported against: its grid and, for every slice k, the source
/// instance (SOP Class/Instance UID, file, frame). DICOM SEG frames and RTSTRUCT contours reference
/// these instances, and patient/study/frame of reference are taken from them.
public struct DICOMSourceSeries: Sendable {
    public let geometry: Geometry
    public let slices: [SliceReference]
    public let seriesInstanceUID: String
    public let sourcePath: String
    /// SliceThickness (0018,0050) of the source, when it has one (else the slice spacing is used).
    public let sliceThickness: Double?

    /// Checks that `source` was read from a DICOM series with one referenced instance per slice.
    public init(_ source: Volume, path: String) throws {
        let m = source.metadata
        guard m.sourceFormat?.lowercased().hasPrefix("dicom") == true || !m.sliceReferences.isEmpty else {
            throw VoxSAMError(.invalidArgument, "the reference image is not a DICOM series (it was read as \(m.sourceFormat ?? "a non-DICOM file")); DICOM SEG and RTSTRUCT reference the source instances by SOP Instance UID, so use the DICOM series itself (a DICOM input to `voxsam segment`, or `voxsam export --reference DICOM_FOLDER`)", path: path)
        }
        guard m.sliceReferences.count == source.size.z else {
            throw VoxSAMError(.invalidArgument, "the reference DICOM series has \(m.sliceReferences.count) referenced instances for \(source.size.z) slices; it cannot be referenced slice by slice", path: path)
        }
        if let k = m.sliceReferences.firstIndex(where: { $0.sopInstanceUID.isEmpty || $0.sopClassUID.isEmpty }) {
            throw VoxSAMError(.invalidArgument, "slice \(k) of the reference DICOM series has no SOP Instance/Class UID (file \(m.sliceReferences[k].file)); DICOM SEG and RTSTRUCT cannot reference it; anonymisation left it empty: give each file its own SOP Instance UID (`dcmodify -nb -gin FILES`) and the SOP Class UID of its kind (`dcmodify -nb -m \"(0008,0016)=1.2.840.10008.5.1.4.1.1.2\" FILES` for CT) or export to NIfTI / .seg.nrrd, which need none", path: path)
        }
        guard let series = m.seriesInstanceUID, !series.isEmpty else {
            throw VoxSAMError(.invalidArgument, "the reference DICOM series has no SeriesInstanceUID (0020,000E); anonymisation left it empty: give all its files one new UID (`dcmodify -nb -m \"(0020,000e)=NEW_UID\" FILES`, NEW_UID e.g. from pydicom.uid.generate_uid()) or export to NIfTI / .seg.nrrd, which need none", path: path)
        }
        guard source.geometry.isOrthonormal() else {
            throw VoxSAMError(.unsupportedData, "the reference DICOM series is on a sheared grid (gantry tilt); DICOM SEG and RTSTRUCT export need an orthogonal grid", path: path)
        }
        geometry = source.geometry
        slices = m.sliceReferences
        seriesInstanceUID = series
        sourcePath = path
        sliceThickness = m.dicomAttributes["SliceThickness"].flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// The label map on this series' grid: as is when it is on the grid, reindexed exactly when it
    /// samples the same voxel centres in another axis order or direction (e.g. a NIfTI converted
    /// from this series), else an error that says how the grids differ.
    public func align(_ labelMap: Volume, labelMapPath: String) throws -> Volume {
        try LabelMapAlignment.align(labelMap, onto: geometry, reference: "series", labelMapPath: labelMapPath)
    }

    /// The label map's slices for a writer: it must already be on this series' grid (`align`), and
    /// every label present must be described. Returns the slices and the labels present.
    func labelSlices(of labelMap: Volume, described segments: [SegmentDescription], output path: String) throws
        -> (LabelSlices, [Int]) {
        guard labelMap.geometry.isSameGrid(as: geometry, tolerance: 0.01) else {
            throw VoxSAMError(.geometry, "internal: the label map was not aligned to the source series before writing", path: path)
        }
        let slices = try LabelSlices(labelMap, path: path)
        let present = slices.presentLabels
        let described = Set(segments.map(\.label))
        let missing = present.filter { !described.contains($0) }
        guard missing.isEmpty else {
            throw VoxSAMError(.invalidArgument, "label value(s) \(missing.map(String.init).joined(separator: ", ")) of the label map have no name/description; give them with --names or a --protocol", path: path)
        }
        return (slices, present)
    }
}
