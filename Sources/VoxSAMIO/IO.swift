import VoxSAMCore
public enum VoxSAMIOInfo {}
