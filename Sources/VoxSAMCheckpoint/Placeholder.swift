public enum VoxSAMCheckpointInfo {}
