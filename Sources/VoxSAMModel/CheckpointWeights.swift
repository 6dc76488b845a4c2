import VoxSAMCheckpoint

/// A PyTorch `.pth` checkpoint (VoxSAMCheckpoint's strict StateDict) as a weight source.
final class StateDictWeightSource: WeightSource {
    let stateDict: StateDict
    init(_ s: StateDict) { stateDict = s }
    func take(_ key: String, shape: [Int]) throws -> [Float] { try stateDict.take(key, shape: shape).values }
    func skip(_ key: String) throws { try stateDict.skip(key) }
    func finish() throws { try stateDict.finish() }
}

/// Opens a PyTorch `.pth` checkpoint as a strict weight source.
func checkpointWeightSource(path: String) throws -> WeightSource {
    StateDictWeightSource(try PyTorchCheckpoint.load(path: path))
}
