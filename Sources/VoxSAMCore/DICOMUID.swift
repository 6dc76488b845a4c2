/// DICOM unique identifiers as VoxSAM accepts them from users and peers (addresses, image IDs).
public enum DICOMUID {
    /// 1–64 characters, digits and dots, not starting or ending with a dot (PS3.5 9.1).
    public static func isValid(_ s: String) -> Bool {
        (1...64).contains(s.count) && s.allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") } && !s.hasPrefix(".") && !s.hasSuffix(".")
    }
}
