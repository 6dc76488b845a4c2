/// The outcome of `ModelStore.fetch`.
public struct FetchResult: Sendable, Equatable {
    /// Where the verified checkpoint now is.
    public let path: String
    /// Its SHA-256 (always the known model's hash).
    public let sha256: String
    /// True if the right file was already installed and nothing was done.
    public let alreadyInstalled: Bool
}
