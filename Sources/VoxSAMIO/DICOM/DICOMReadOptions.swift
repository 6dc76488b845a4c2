import VoxSAMCore

/// How `DICOMReader.read` turns a series into a volume.
public struct DICOMReadOptions: Sendable, Equatable {
    /// Read a series whose slices are not a regular grid (missing slices, non-uniform spacing,
    /// duplicate positions, gantry tilt) instead of refusing it: the mean spacing is used (a
    /// sheared grid for a tilted stack; the first image of a duplicated position) and a warning
    /// says so. CLI: `--allow-irregular`.
    public var allowIrregular: Bool
    /// For a series holding several volumes at the same positions (time points, echoes,
    /// magnitude/phase, enhanced multi-frame stacks): which one to read, 0-based. nil reads the
    /// first, with a warning naming how many there are. CLI: `--volume`.
    public var volumeIndex: Int?
    /// Apply RescaleSlope (0028,1053) / RescaleIntercept (0028,1052) (per frame for enhanced
    /// images), e.g. CT stored values → Hounsfield units. false keeps the stored values.
    public var applyRescale: Bool
    /// Largest volume (voxels) to decode; checked before the voxel buffer is allocated. CLI: `--max-voxels`.
    public var maxVoxels: Int

    public init(allowIrregular: Bool = false, volumeIndex: Int? = nil, applyRescale: Bool = true,
                maxVoxels: Int = ReadLimits.defaultMaxVoxels) {
        self.allowIrregular = allowIrregular
        self.volumeIndex = volumeIndex
        self.applyRescale = applyRescale
        self.maxVoxels = maxVoxels
    }
}
