/// The one error type of VoxSAM's public API.
///
/// Modelled on swift-nio's `FileSystemError`: a stable machine-readable `code`, a `message` that says
/// what is wrong and how to fix it, the `path` involved (if any) and the underlying `cause`.
/// `description` is the single line the CLI prints: `voxsam: <path>: <message>`.
public struct VoxSAMError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable, Codable {
        /// A file or folder does not exist or cannot be opened.
        case notFound
        /// The file's format is not one VoxSAM reads (or its extension is unknown).
        case unsupportedFormat
        /// The file claims a supported format but its contents are broken (truncated, bad header…).
        case corruptFile
        /// The data is valid but uses a feature VoxSAM refuses (RGB NIfTI, complex voxels…).
        case unsupportedData
        /// The geometry is not a regular grid or does not match (gantry tilt, gaps, mismatched grids).
        case geometry
        /// A command-line or API argument is invalid.
        case invalidArgument
        /// Writing failed (folder missing, not writable, disk full).
        case writeFailed
        /// The model checkpoint is missing, has the wrong hash or does not match the architecture.
        case model
        /// A PACS or DICOMweb peer failed: unreachable, refused, or answered with an error.
        case network
        /// An internal invariant failed; please report it.
        case `internal`
    }

    public var code: Code
    public var message: String
    public var path: String?
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, path: String? = nil, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.cause = cause
    }

    public var description: String {
        var s = ""
        if let path { s += "\(path): " }
        s += message
        if let cause {
            let c = (cause as? VoxSAMError)?.message ?? String(describing: cause)
            if !message.contains(c) { s += " (\(c))" }
        }
        return s
    }
}

extension VoxSAMError {
    /// The error with `folder` (e.g. the private folder a PACS series was fetched into) replaced by
    /// `name` (its address) in the message and the path.
    public func renaming(_ folder: String, to name: String) -> VoxSAMError {
        VoxSAMError(code, message.replacingOccurrences(of: folder, with: name),
                    path: path.map { $0.replacingOccurrences(of: folder, with: name) }, cause: cause)
    }
}

/// The cause of a `.network` error whose peer (a PACS) does not have the series asked for, as
/// opposed to one that cannot be reached or fails: `voxsam serve` answers 404 for it, 502 otherwise.
public struct SeriesNotFound: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "" }
}

extension VoxSAMError {
    /// Whether the peer said it has no such series.
    public var isSeriesNotFound: Bool { cause is SeriesNotFound }
}
