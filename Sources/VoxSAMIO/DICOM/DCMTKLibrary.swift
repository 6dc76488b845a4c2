import CDCMTK
import VoxSAMCore

/// The one Swift file of VoxSAMIO that calls the C bridge (CDCMTK: DCMTK + OpenJPEG behind a plain-C API).
/// Everything else in VoxSAMIO/DICOM is pure Swift on top of `DCMTKFile` and `DCMTKLibrary`. (The
/// writers' calls live in VoxSAMExport/DICOM/DCMTKWriters.swift and reuse `makeError`.)
package enum DCMTKLibrary {
    /// "DCMTK 3.6.7, OpenJPEG 2.5.0".
    static var version: String { String(cString: vxd_library_version()) }

    /// Cheap content check: true for the "DICM" preamble or a plausible raw data set, false for
    /// other content, nil when the file cannot be read.
    static func sniff(_ path: String) -> Bool? {
        switch vxd_sniff(path) {
        case 1: true
        case 0: false
        default: nil
        }
    }

    /// DCMTK's dictionary name of a UID ("RTStructureSetStorage"), nil when unknown.
    static func uidName(_ uid: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 128)
        let n = vxd_uid_name(uid, &buffer, buffer.count)
        guard n > 0 else { return nil }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Files referenced by a DICOMDIR, relative to its folder ('/'-separated), in record order.
    static func dicomdirFiles(_ path: String) throws -> [String] {
        var error = vxd_error()
        guard let list = vxd_dicomdir_files(path, &error) else {
            throw makeError(VXD_CORRUPT, error, path: path)
        }
        defer { vxd_free(list) }
        return String(cString: list).split(separator: "\n").map(String.init)
    }

    /// Maps a bridge status and message to VoxSAMError (the bridge prefixes messages with the path).
    package static func makeError(_ status: vxd_status, _ error: vxd_error, path: String) -> VoxSAMError {
        var message = cString(error.message)
        if message.hasPrefix(path + ": ") { message.removeFirst(path.count + 2) }
        if message.isEmpty { message = "DICOM bridge error \(status.rawValue)" }
        let code: VoxSAMError.Code
        switch status {
        case VXD_NOT_FOUND: code = .notFound
        case VXD_NOT_DICOM: code = .unsupportedFormat
        case VXD_CORRUPT: code = .corruptFile
        case VXD_UNSUPPORTED, VXD_NO_PIXELS: code = .unsupportedData
        case VXD_INVALID_ARGUMENT: code = .invalidArgument
        case VXD_NETWORK: code = .network
        case VXD_WRITE_FAILED: code = .writeFailed
        default: code = .internal
        }
        return VoxSAMError(code, message, path: path)
    }

    /// String of a fixed-size C char array (imported as a tuple), up to the first NUL.
    package static func cString<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            let end = bytes.firstIndex(of: 0) ?? bytes.count
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[0..<end]), as: UTF8.self)
        }
    }
}

/// An open DICOM file (header parsed, pixel values read on demand). Not thread-safe: use one
/// instance per thread. Closed when released.
final class DCMTKFile {
    let path: String
    let image: DICOMImageInfo
    private let handle: OpaquePointer

    init(path: String) throws {
        self.path = path
        var error = vxd_error()
        var opened: OpaquePointer?
        let status = vxd_open(path, &opened, &error)
        guard status == VXD_OK, let opened else { throw DCMTKLibrary.makeError(status, error, path: path) }
        handle = opened
        var info = vxd_image_info()
        let st = vxd_get_image_info(opened, &info, &error)
        guard st == VXD_OK else {
            vxd_close(opened)
            throw DCMTKLibrary.makeError(st, error, path: path)
        }
        image = Self.convert(info)
    }

    deinit { vxd_close(handle) }

    /// Value of a top-level element (all values, backslash-separated), nil when absent.
    /// Group 0002 tags are read from the file meta information.
    func string(_ tag: DICOMTag) -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        let n = vxd_get_string(handle, tag.code, &buffer, buffer.count)
        if n < 0 { return nil }
        if Int(n) >= buffer.count {
            buffer = [CChar](repeating: 0, count: Int(n) + 1)
            _ = vxd_get_string(handle, tag.code, &buffer, buffer.count)
        }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Attributes of frame `index` (0-based).
    func frame(_ index: Int) throws -> DICOMFrameAttributes {
        var info = vxd_frame_info()
        var error = vxd_error()
        let status = vxd_get_frame_info(handle, Int32(index), &info, &error)
        guard status == VXD_OK else { throw DCMTKLibrary.makeError(status, error, path: path) }
        return Self.convert(info)
    }

    /// Decodes frame `index` into `destination` (rows × columns samples of `type`, stored values).
    func decodeFrame(_ index: Int, into destination: UnsafeMutableRawPointer, sampleCount: Int, type: DICOMSampleType) throws {
        var error = vxd_error()
        let cType: vxd_sample_type = switch type {
        case .int16: VXD_SAMPLE_INT16
        case .uint16: VXD_SAMPLE_UINT16
        case .int32: VXD_SAMPLE_INT32
        }
        let status = vxd_decode_frame(handle, Int32(index), destination, sampleCount, cType, &error)
        guard status == VXD_OK else { throw DCMTKLibrary.makeError(status, error, path: path) }
    }

    private static func convert(_ i: vxd_image_info) -> DICOMImageInfo {
        var o = DICOMImageInfo()
        o.hasPixelData = i.has_pixel_data != 0
        o.hasFloatPixelData = i.has_float_pixel_data != 0
        o.isDICOMDIR = i.is_dicomdir != 0
        o.rows = Int(i.rows)
        o.columns = Int(i.columns)
        o.storedRows = Int(i.stored_rows)
        o.storedColumns = Int(i.stored_columns)
        o.frameCount = Int(i.frame_count)
        o.storedFrameCount = Int(i.stored_frame_count)
        o.bitsAllocated = Int(i.bits_allocated)
        o.bitsStored = Int(i.bits_stored)
        o.highBit = Int(i.high_bit)
        o.pixelRepresentation = Int(i.pixel_representation)
        o.samplesPerPixel = Int(i.samples_per_pixel)
        o.planarConfiguration = Int(i.planar_configuration)
        o.isEnhanced = i.is_enhanced != 0
        o.isMosaic = i.is_mosaic != 0
        o.mosaicTilesPerRow = Int(i.mosaic_tiles_per_row)
        if i.mosaic_has_csa_normal != 0 {
            o.mosaicSliceNormal = SIMD3(i.mosaic_slice_normal.0, i.mosaic_slice_normal.1, i.mosaic_slice_normal.2)
        }
        o.isEncapsulated = i.is_encapsulated != 0
        o.transferSyntaxUID = DCMTKLibrary.cString(i.transfer_syntax_uid)
        o.photometricInterpretation = DCMTKLibrary.cString(i.photometric_interpretation)
        return o
    }

    private static func convert(_ f: vxd_frame_info) -> DICOMFrameAttributes {
        var o = DICOMFrameAttributes()
        if f.has_position != 0 { o.position = SIMD3(f.position.0, f.position.1, f.position.2) }
        if f.has_orientation != 0 {
            let v = f.orientation
            o.orientation = DICOMOrientation(row: SIMD3(v.0, v.1, v.2), column: SIMD3(v.3, v.4, v.5))
        }
        if f.has_pixel_spacing != 0 { o.pixelSpacing = SIMD2(f.pixel_spacing.0, f.pixel_spacing.1) }
        if f.has_slice_thickness != 0 { o.sliceThickness = f.slice_thickness }
        if f.has_spacing_between != 0 { o.spacingBetweenSlices = f.spacing_between_slices }
        if f.has_rescale != 0 {
            o.rescaleSlope = f.rescale_slope
            o.rescaleIntercept = f.rescale_intercept
        }
        if f.has_window != 0 {
            o.windowCenter = f.window_center
            o.windowWidth = f.window_width
        }
        if f.has_stack != 0 {
            o.stackID = DCMTKLibrary.cString(f.stack_id)
            o.inStackPosition = Int(f.in_stack_position)
        }
        if f.has_temporal_index != 0 { o.temporalPositionIndex = Int(f.temporal_position_index) }
        if f.has_acquisition_number != 0 { o.acquisitionNumber = Int(f.acquisition_number) }
        if f.has_echo_number != 0 { o.echoNumber = Int(f.echo_number) }
        if f.has_echo_time != 0 { o.echoTime = f.echo_time }
        if f.has_b_value != 0 { o.bValue = f.b_value }
        if f.has_trigger_time != 0 { o.triggerTime = f.trigger_time }
        let count = Int(max(0, min(8, f.dimension_index_count)))
        if count > 0 {
            o.dimensionIndexValues = withUnsafeBytes(of: f.dimension_index_values) { raw in
                Array(raw.bindMemory(to: UInt32.self).prefix(count)).map { Int($0) }
            }
        }
        o.frameType = DCMTKLibrary.cString(f.frame_type)
        return o
    }
}
