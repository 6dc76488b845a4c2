public enum VoxSAMModelInfo { public static let name = "LiteMedSAM" }
