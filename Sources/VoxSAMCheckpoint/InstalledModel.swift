/// A checkpoint file found in the model folder (`voxsam model list`).
public struct InstalledModel: Sendable, Codable, Equatable {
    /// Known model name (`lite_medsam`), or the file name for files VoxSAM does not know.
    public let name: String
    /// Absolute path of the file.
    public let path: String
    /// Size in bytes.
    public let size: Int
    /// Lowercase hex SHA-256 of the file.
    public let sha256: String
    /// SHA-256 the file should have, if it is a known model.
    public let expectedSha256: String?
    /// Whether the file is a known model with the right hash.
    public let matches: Bool
}
