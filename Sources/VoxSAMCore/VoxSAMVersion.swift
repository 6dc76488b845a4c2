/// VoxSAM's version: `voxsam --version`, and what exported objects record (SoftwareVersions,
/// algorithm version).
public enum VoxSAMVersion {
    public static let string = "0.3.0"
}
