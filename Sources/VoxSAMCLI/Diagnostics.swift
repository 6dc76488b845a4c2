import Foundation

/// Messages to stderr (stdout is kept for results and JSON).
enum Diagnostics {
    static func warn(_ s: String) { FileHandle.standardError.write(Data("voxsam: warning: \(s)\n".utf8)) }
    static func info(_ s: String) { FileHandle.standardError.write(Data("voxsam: \(s)\n".utf8)) }
}
