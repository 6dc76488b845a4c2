import Foundation

/// Progress on stderr: a bar that redraws itself on a terminal, a plain line every 10 % otherwise.
final class ProgressDisplay {
    let enabled: Bool
    let label: String
    let tty = isatty(2) != 0
    private var lastDecile = -1
    private var drawn = false

    init(enabled: Bool, label: String) {
        self.enabled = enabled
        self.label = label
    }

    func update(_ done: Int, _ total: Int) {
        guard enabled, total > 0 else { return }
        if tty {
            let width = 30, filled = done * width / total
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            FileHandle.standardError.write(Data("\rvoxsam: \(label) [\(bar)] \(done)/\(total)".utf8))
            drawn = true
        } else {
            let decile = done * 10 / total
            if decile != lastDecile {
                lastDecile = decile
                FileHandle.standardError.write(Data("voxsam: \(label) \(done)/\(total)\n".utf8))
            }
        }
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
