#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The files of one run, committed together: each is written under a temporary name beside its
/// destination, fsynced, and only when every one is complete are they renamed into place — under
/// an exclusive lock on each destination folder (two runs never interleave their renames) and with
/// SIGINT/SIGTERM held off. On any failure none of the new files appears and an existing file of
/// the same name is untouched (a rename that fails midway is rolled back). An overwritten file
/// keeps its mode (and owner, where permitted).
///
/// Writers take part through `AtomicWrite.write(to:)`: inside `OutputGroup.commit { … }` they stage
/// into the group; outside, each write is its own one-file group.
public final class OutputGroup: @unchecked Sendable {
    /// The group writes currently join (set by `commit(_:)` for the duration of its body).
    @TaskLocal public static var current: OutputGroup?

    public struct Entry: Sendable, Equatable {
        public let temporary: String
        public let destination: String
    }

    public private(set) var entries: [Entry] = []
    private var finished = false

    public init() {}

    /// Runs `body` with a new group as `current` (or joins the current one when already inside a
    /// group), then commits it. Returns what `body` returns; on error nothing is committed.
    public static func commit<T>(_ body: (OutputGroup) throws -> T) throws -> T {
        if let outer = current { return try body(outer) }
        let group = OutputGroup()
        do {
            let value = try $current.withValue(group) { try body(group) }
            try group.commit()
            return value
        } catch {
            group.discard()
            throw error
        }
    }

    /// A new temporary path for `destination` (same folder, same extensions), registered for
    /// removal on failure or signal. Checks the folder first.
    public func stage(_ destination: String) throws -> String {
        precondition(!finished, "OutputGroup used after commit or discard")
        guard !entries.contains(where: { $0.destination == destination }) else {
            throw VoxSAMError(.invalidArgument, "this run would write the same file twice", path: destination)
        }
        try AtomicWrite.checkDestination(destination)
        TemporaryFiles.removeStale(in: URL(fileURLWithPath: destination).deletingLastPathComponent().path)
        let tmp = AtomicWrite.temporaryPath(for: destination)
        TemporaryFiles.register(tmp)
        entries.append(Entry(temporary: tmp, destination: destination))
        return tmp
    }

    /// Removes a staged file again (its writer failed).
    public func unstage(_ destination: String) {
        guard let i = entries.firstIndex(where: { $0.destination == destination }) else { return }
        unlink(entries[i].temporary)
        TemporaryFiles.unregister(entries[i].temporary)
        entries.remove(at: i)
    }

    /// Verifies, fsyncs and renames every staged file into place (see the type's documentation).
    public func commit() throws {
        precondition(!finished, "OutputGroup committed twice")
        defer { discard() }
        for e in entries {
            var st = stat()
            guard lstat(e.temporary, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
                throw VoxSAMError(.writeFailed, "the output was not written (its temporary file is missing)", path: e.destination)
            }
            try FileOutput.sync(file: e.temporary, destination: e.destination)
        }
        let folders = Array(Set(entries.map { URL(fileURLWithPath: $0.destination).deletingLastPathComponent().path })).sorted()
        let locks = folders.map { f -> Int32 in
            let fd = open(f, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if fd >= 0 { flock(fd, LOCK_EX) }  // waits for another run's commit into the same folder
            return fd
        }
        defer { for fd in locks where fd >= 0 { flock(fd, LOCK_UN); close(fd) } }
        try TemporaryFiles.withSignalsHeld {
            var done: [(entry: Entry, backup: String?)] = []
            for e in entries {
                var backup: String?
                var st = stat()
                if lstat(e.destination, &st) == 0 {
                    // The overwritten file keeps its mode and (if permitted) its owner.
                    chmod(e.temporary, st.st_mode & 0o7777)
                    _ = chown(e.temporary, st.st_uid, st.st_gid)
                    let b = AtomicWrite.temporaryPath(for: e.destination) + ".old"
                    if link(e.destination, b) == 0 { backup = b }
                }
                guard rename(e.temporary, e.destination) == 0 else {
                    let code = errno
                    for d in done.reversed() {
                        if let b = d.backup { rename(b, d.entry.destination) } else { unlink(d.entry.destination) }
                    }
                    if let b = backup { unlink(b) }
                    throw FileOutput.failure(code, "the finished file could not be moved into place", destination: e.destination)
                }
                done.append((e, backup))
            }
            for d in done { if let b = d.backup { unlink(b) } }
        }
        for f in folders { FileOutput.sync(folder: f) }
        for e in entries { TemporaryFiles.unregister(e.temporary) }
        entries = []
    }

    /// Removes every staged temporary file (nothing is renamed).
    public func discard() {
        for e in entries {
            unlink(e.temporary)
            TemporaryFiles.unregister(e.temporary)
        }
        entries = []
        finished = true
    }
}
