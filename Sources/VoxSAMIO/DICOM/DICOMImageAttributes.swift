/// Image-level attributes of one DICOM file as the bridge resolved them (mosaic tiles and
/// multi-frame counts already applied). Pure Swift mirror of `vxd_image_info`.
struct DICOMImageInfo: Sendable, Equatable {
    var hasPixelData = false
    var hasFloatPixelData = false
    var isDICOMDIR = false
    /// Size of one frame (one mosaic tile for a mosaic).
    var rows = 0
    var columns = 0
    var storedRows = 0
    var storedColumns = 0
    /// Frames as VoxSAM stacks them (NumberOfFrames, or mosaic tiles).
    var frameCount = 1
    var storedFrameCount = 1
    var bitsAllocated = 0
    var bitsStored = 0
    var highBit = 0
    var pixelRepresentation = 0
    var samplesPerPixel = 1
    var planarConfiguration = 0
    var isEnhanced = false
    var isMosaic = false
    var mosaicTilesPerRow = 0
    var mosaicSliceNormal: SIMD3<Double>?
    var isEncapsulated = false
    var transferSyntaxUID = ""
    var photometricInterpretation = ""

    /// Whether frames are addressed by number inside the SOP instance (multi-frame objects).
    var hasFrameNumbers: Bool { isEnhanced || storedFrameCount > 1 }
}

/// Row and column direction cosines from ImageOrientationPatient (0020,0037).
struct DICOMOrientation: Sendable, Equatable {
    var row: SIMD3<Double>
    var column: SIMD3<Double>

    /// Whether both cosines agree with `other` within `tolerance` per component.
    func isClose(to other: DICOMOrientation, tolerance: Double = 1e-3) -> Bool {
        let d1 = row - other.row, d2 = column - other.column
        return max(abs(d1.x), abs(d1.y), abs(d1.z), abs(d2.x), abs(d2.y), abs(d2.z)) <= tolerance
    }
}

/// Attributes of one frame (per-frame functional group, shared group, or top level).
/// Pure Swift mirror of `vxd_frame_info`.
struct DICOMFrameAttributes: Sendable, Equatable {
    var position: SIMD3<Double>?
    var orientation: DICOMOrientation?
    /// PixelSpacing (0028,0030) as stored: (row spacing = between rows, column spacing = between columns).
    var pixelSpacing: SIMD2<Double>?
    var sliceThickness: Double?
    var spacingBetweenSlices: Double?
    var rescaleSlope: Double?
    var rescaleIntercept: Double?
    var windowCenter: Double?
    var windowWidth: Double?
    var stackID: String?
    var inStackPosition: Int?
    var temporalPositionIndex: Int?
    var acquisitionNumber: Int?
    var echoNumber: Int?
    var echoTime: Double?
    var bValue: Double?
    var triggerTime: Double?
    var dimensionIndexValues: [Int] = []
    /// FrameType (0008,9007) of an enhanced frame, else ImageType (0008,0008).
    var frameType = ""
}

/// Output sample type of `DCMTKFile.decodeFrame`.
enum DICOMSampleType: Sendable {
    case int16, uint16, int32

    var byteCount: Int { self == .int32 ? 4 : 2 }
}
