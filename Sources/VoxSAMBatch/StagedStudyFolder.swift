#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import VoxSAMCore

/// A study's outputs are written into `OUT/.staging/<study>/<host>.<pid>.<tag>/` and moved into
/// place as a whole: the old `OUT/<study>` (if any) is renamed into the staging area, the new
/// folder renamed to `OUT/<study>`, the old one deleted. A process killed at any point leaves
/// either the old or the new folder (or none, which the manifest check then redoes) plus leftovers
/// in `.staging/`, which the next run on that study removes before it starts.
struct StagedStudyFolder {
    let outputDirectory: String
    let study: String
    let path: String

    static func stagingRoot(_ out: String) -> String { (out as NSString).appendingPathComponent(".staging") }

    /// This study's own staging folder: nothing of another study is ever inside it.
    static func stagingFolder(_ out: String, study: String) -> String {
        (stagingRoot(out) as NSString).appendingPathComponent(study)
    }

    var finalPath: String { (outputDirectory as NSString).appendingPathComponent(study) }

    /// A fresh, empty staging folder for `study`.
    static func create(outputDirectory: String, study: String) throws -> StagedStudyFolder {
        let root = stagingFolder(outputDirectory, study: study)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let tag = String(UInt64.random(in: 0..<UInt64.max), radix: 36)
        let host = ProcessInfo.processInfo.hostName.replacingOccurrences(of: "/", with: "_")
        let p = (root as NSString).appendingPathComponent("\(host).\(getpid()).\(tag)")
        do { try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: false) } catch {
            throw VoxSAMError(.writeFailed, "cannot create a staging folder: \(error.localizedDescription)", path: p)
        }
        TemporaryFiles.register(p)  // SIGINT/SIGTERM remove it with the run's other unfinished outputs
        return StagedStudyFolder(outputDirectory: outputDirectory, study: study, path: p)
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// Moves the staged folder to `OUT/<study>`, replacing what was there.
    func commit() throws {
        let final = finalPath
        var old: String?
        // Both renames happen with SIGINT/SIGTERM held off: the study has its old or its new folder.
        try TemporaryFiles.withSignalsHeld {
            if FileManager.default.fileExists(atPath: final) {
                let o = path + ".old"
                guard rename(final, o) == 0 else {
                    throw VoxSAMError(.writeFailed, "cannot move the previous outputs aside (\(String(cString: strerror(errno))))", path: final)
                }
                old = o
            }
            guard rename(path, final) == 0 else {
                let msg = String(cString: strerror(errno))
                if let old { _ = rename(old, final) }
                throw VoxSAMError(.writeFailed, "cannot move the finished outputs into place (\(msg))", path: final)
            }
        }
        TemporaryFiles.unregister(path)
        FileOutput.sync(folder: outputDirectory)
        if let old { try? FileManager.default.removeItem(atPath: old) }
        rmdir((path as NSString).deletingLastPathComponent)
    }

    /// Removes the staged folder (after a failure).
    func discard() {
        try? FileManager.default.removeItem(atPath: path)
        TemporaryFiles.unregister(path)
        rmdir((path as NSString).deletingLastPathComponent)
    }

    /// Removes `OUT/<study>` (a study that now fails or has no prompts must not keep old outputs).
    static func removeOutputs(outputDirectory: String, study: String) throws {
        let final = (outputDirectory as NSString).appendingPathComponent(study)
        guard FileManager.default.fileExists(atPath: final) else { return }
        let root = stagingFolder(outputDirectory, study: study)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let aside = (root as NSString).appendingPathComponent("removed.\(getpid()).\(String(UInt64.random(in: 0..<UInt64.max), radix: 36))")
        guard rename(final, aside) == 0 else {
            throw VoxSAMError(.writeFailed, "cannot remove the previous outputs (\(String(cString: strerror(errno))))", path: final)
        }
        try? FileManager.default.removeItem(atPath: aside)
        rmdir(root)
    }

    /// Leftovers of earlier, interrupted runs on `study` (only this study's: other shards may be
    /// staging their own studies in the same folder at this moment).
    static func removeLeftovers(outputDirectory: String, study: String) {
        // Only what no live process on this host is still writing: a second batch on the same folder
        // (or a shard) may be staging this study right now.
        let folder = stagingFolder(outputDirectory, study: study)
        for n in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where !ownedByLiveProcess(n, in: folder) {
            try? FileManager.default.removeItem(atPath: (folder as NSString).appendingPathComponent(n))
        }
        rmdir(folder)
        // Temporary files of atomic writes directly in the study folder (older layouts, other tools).
        let final = (outputDirectory as NSString).appendingPathComponent(study)
        for n in (try? FileManager.default.contentsOfDirectory(atPath: final)) ?? [] where n.contains(".voxsam-tmp-") {
            try? FileManager.default.removeItem(atPath: (final as NSString).appendingPathComponent(n))
        }
    }

    /// Staging names are `HOST.PID.TAG[.old]` and `removed.PID.TAG`: owned by a live process when that
    /// process (another than this one) is running on this host. Entries of other hosts count as live
    /// for a day (their process cannot be asked), then as leftovers.
    static func ownedByLiveProcess(_ name: String, in folder: String) -> Bool {
        var parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if parts.last == "old" { parts.removeLast() }
        guard parts.count >= 3, let pid = Int32(parts[parts.count - 2]), pid != getpid() else { return false }
        let owner = parts[..<(parts.count - 2)].joined(separator: ".")
        let host = ProcessInfo.processInfo.hostName.replacingOccurrences(of: "/", with: "_")
        if owner == "removed" || owner == host { return kill(pid, 0) == 0 || errno == EPERM }
        let path = (folder as NSString).appendingPathComponent(name)
        let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date ?? .distantPast
        return Date().timeIntervalSince(modified) < 86_400
    }

    /// Removes `.staging/` when empty (another shard may still be using it: then it stays).
    static func removeStagingRootIfEmpty(_ out: String) { rmdir(stagingRoot(out)) }
}
