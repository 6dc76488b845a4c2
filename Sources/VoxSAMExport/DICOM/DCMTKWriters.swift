import CDCMTK
import VoxSAMCore
import VoxSAMIO
import VoxSAMProtocol

/// The one Swift file of VoxSAMExport that calls the C bridge's writers (CDCMTKWriters.h: dcmseg
/// and dcmrt behind a plain-C API). The builders below own their C handles.

/// Identification of a new derived series (SEG or RTSTRUCT) in the source study.
public struct DerivedSeriesInfo: Sendable {
    public var seriesDescription: String
    public var seriesNumber: Int
    public var contentLabel: String
    public var contentDescription: String
    public var contentCreator: String
    public var manufacturer = "VoxSAM"
    public var modelName = "VoxSAM LiteMedSAM"
    public var softwareVersions = VoxSAMVersion.string
    public var deviceSerial = "1"

    public init(seriesDescription: String, seriesNumber: Int = 901, contentLabel: String = "VOXSAM",
                contentDescription: String = "Box-prompted LiteMedSAM segmentation", contentCreator: String = "VoxSAM^") {
        self.seriesDescription = seriesDescription; self.seriesNumber = seriesNumber
        self.contentLabel = contentLabel; self.contentDescription = contentDescription; self.contentCreator = contentCreator
    }

    fileprivate func withC<R>(_ body: (UnsafePointer<vxd_new_series>) throws -> R) rethrows -> R {
        try seriesDescription.withCString { d in
            try modelName.withCString { model in
                try manufacturer.withCString { man in
                    try softwareVersions.withCString { sw in
                        try deviceSerial.withCString { serial in
                            try contentLabel.withCString { label in
                                try contentDescription.withCString { cd in
                                    try contentCreator.withCString { creator in
                                        var s = vxd_new_series(series_description: d, series_number: Int32(seriesNumber),
                                                               manufacturer: man, model_name: model, software_versions: sw,
                                                               device_serial: serial, content_label: label,
                                                               content_description: cd, content_creator: creator)
                                        return try body(&s)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

private func withCode<R>(_ c: CodedConcept?, _ body: (vxd_code) throws -> R) rethrows -> R {
    guard let c else { return try body(vxd_code(value: nil, scheme: nil, meaning: nil)) }
    return try c.value.withCString { v in
        try c.scheme.withCString { s in try c.meaning.withCString { m in try body(vxd_code(value: v, scheme: s, meaning: m)) } }
    }
}

/// A NUL-terminated UTF-8 buffer filled by the bridge.
private func text(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// A failure while saving is a write failure (exit 3), whatever DCMTK's status says.
private func writing(_ body: () throws -> Void) throws {
    do { try body() } catch let e as VoxSAMError { throw VoxSAMError(.writeFailed, e.message, path: e.path) }
}

private func check(_ status: vxd_status, _ error: vxd_error, path: String) throws {
    guard status == VXD_OK else { throw DCMTKLibrary.makeError(status, error, path: path) }
}

/// Builder for a BINARY DICOM Segmentation (dcmseg).
final class DICOMSegBuilder {
    private let handle: OpaquePointer
    private let sourceFile: String

    init(sourceFile: String, rows: Int, columns: Int, series: DerivedSeriesInfo) throws {
        self.sourceFile = sourceFile
        var error = vxd_error()
        var out: OpaquePointer?
        let status = series.withC { vxd_seg_create(sourceFile, Int32(rows), Int32(columns), $0, &out, &error) }
        try check(status, error, path: sourceFile)
        handle = out!
    }

    deinit { vxd_seg_free(handle) }

    func setGeometry(orientation: [Double], pixelSpacing: [Double], sliceThickness: Double, spacingBetweenSlices: Double) throws {
        var error = vxd_error()
        try check(vxd_seg_set_geometry(handle, orientation, pixelSpacing, sliceThickness, spacingBetweenSlices, &error),
                  error, path: sourceFile)
    }

    func addSourceInstance(seriesUID: String, sopClassUID: String, sopInstanceUID: String) throws {
        var error = vxd_error()
        try check(vxd_seg_add_source_instance(handle, seriesUID, sopClassUID, sopInstanceUID, &error), error, path: sourceFile)
    }

    /// Returns the SegmentNumber.
    func addSegment(_ s: SegmentDescription, cielab: [UInt16], algorithm: SegmentationAlgorithm) throws -> UInt16 {
        let algorithmType: Int32 = switch algorithm.kind { case .automatic: 0; case .semiautomatic: 1; case .manual: 2 }
        var error = vxd_error()
        var number: UInt16 = 0
        let status = withCode(s.category) { cat in
            withCode(s.type) { type in
                withCode(s.typeModifier) { modifier in
                    withCode(s.anatomicRegion) { region in
                        vxd_seg_add_segment(handle, s.name, "", cat, type, modifier, region, cielab, algorithmType, algorithm.name ?? "",
                                            algorithm.version ?? "unspecified", &number, &error)
                    }
                }
            }
        }
        try check(status, error, path: sourceFile)
        return number
    }

    func addFrame(segment: UInt16, sliceIndex: Int, position: SIMD3<Double>, source: SliceReference, pixels: [UInt8]) throws {
        var error = vxd_error()
        let p = [position.x, position.y, position.z]
        try check(vxd_seg_add_frame(handle, segment, UInt32(sliceIndex), p, source.sopClassUID, source.sopInstanceUID,
                                    Int32(source.frame ?? 0), pixels, &error), error, path: sourceFile)
    }

    /// Writes to `path`; returns (SOP Instance UID, Series Instance UID).
    func write(to path: String) throws -> (instance: String, series: String) {
        var error = vxd_error()
        var instance = [CChar](repeating: 0, count: 72), series = [CChar](repeating: 0, count: 72)
        try writing { try check(vxd_seg_write(handle, path, &instance, &series, &error), error, path: path) }
        return (text(instance), text(series))
    }
}

/// Builder for an RT Structure Set (dcmrt).
final class RTStructBuilder {
    private let handle: OpaquePointer
    private let sourceFile: String

    init(sourceFile: String, series: DerivedSeriesInfo) throws {
        self.sourceFile = sourceFile
        var error = vxd_error()
        var out: OpaquePointer?
        let status = series.withC { vxd_rtstruct_create(sourceFile, $0, &out, &error) }
        try check(status, error, path: sourceFile)
        handle = out!
    }

    deinit { vxd_rtstruct_free(handle) }

    func addSourceInstance(seriesUID: String, sopClassUID: String, sopInstanceUID: String) throws {
        var error = vxd_error()
        try check(vxd_rtstruct_add_source_instance(handle, seriesUID, sopClassUID, sopInstanceUID, &error), error, path: sourceFile)
    }

    /// Returns the ROINumber.
    func addROI(_ s: SegmentDescription, interpretedType: String, algorithm: String, description: String) throws -> Int32 {
        var error = vxd_error()
        var number: Int32 = 0
        let color = [s.color.r, s.color.g, s.color.b]
        let status = withCode(s.category) { cat in
            withCode(s.type) { type in
                vxd_rtstruct_add_roi(handle, s.name, color, interpretedType, algorithm, description, cat, type, &number, &error)
            }
        }
        try check(status, error, path: sourceFile)
        return number
    }

    /// `points`: x, y, z triples in LPS millimetres.
    func addContour(roi: Int32, points: [Double], source: SliceReference) throws {
        var error = vxd_error()
        try check(vxd_rtstruct_add_contour(handle, roi, points, Int32(points.count / 3), source.sopClassUID,
                                           source.sopInstanceUID, Int32(source.frame ?? 0), &error), error, path: sourceFile)
    }

    func write(to path: String) throws -> String {
        var error = vxd_error()
        var instance = [CChar](repeating: 0, count: 72)
        try writing { try check(vxd_rtstruct_write(handle, path, &instance, &error), error, path: path) }
        return text(instance)
    }
}
