// Propagation of box prompts through a volume (issue: voxsam segment). Placeholder until that lands.
public enum VoxSAMSegment {}
