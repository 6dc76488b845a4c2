import Foundation
import XCTest
import VoxSAMTestSupport
@testable import VoxSAMCheckpoint
import VoxSAMCore

/// Reader tests on tiny synthetic checkpoints (no model needed).
final class CheckpointReaderTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = try TestSupport.makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    private func basic() -> SyntheticCheckpoint {
        var c = SyntheticCheckpoint()
        c.addFloat("conv.weight", shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        c.addFloat("conv.bias", shape: [2], values: [-0.5, 0.25])
        c.addInt64Scalar("bn.num_batches_tracked", value: 4_416_366)
        return c
    }

    func testLoadTakeSkipFinish() throws {
        let path = try basic().write(in: dir)
        let sd = try PyTorchCheckpoint.load(path: path)
        XCTAssertEqual(sd.path, path)
        XCTAssertEqual(sd.keys, ["conv.bias", "conv.weight"])
        XCTAssertEqual(sd.allKeys, ["bn.num_batches_tracked", "conv.bias", "conv.weight"])
        XCTAssertEqual(sd.peek("conv.weight"), TensorInfo(shape: [2, 3], dtype: .float32))
        XCTAssertEqual(sd.peek("bn.num_batches_tracked"), TensorInfo(shape: [], dtype: .int64))
        XCTAssertNil(sd.peek("nope"))
        let w = try sd.take("conv.weight", shape: [2, 3])
        XCTAssertEqual(w.shape, [2, 3])
        XCTAssertEqual(w.values, [1, 2, 3, 4, 5, 6])
        let b = try sd.withUnsafeValues("conv.bias", shape: [2]) { Array($0) }
        XCTAssertEqual(b, [-0.5, 0.25])
        XCTAssertEqual(sd.remainingKeys, ["bn.num_batches_tracked"])
        try sd.skip("bn.num_batches_tracked")
        XCTAssertNoThrow(try sd.finish())
    }

    func testClassicZipWithoutZip64Records() throws {
        var c = basic()
        c.zip64 = false
        let sd = try PyTorchCheckpoint.load(path: try c.write(in: dir))
        XCTAssertEqual(try sd.take("conv.bias", shape: [2]).values, [-0.5, 0.25])
    }

    func testStridedViewsAndOffsetsAreMadeContiguous() throws {
        var c = SyntheticCheckpoint()
        // One storage of 12 floats 0…11 seen as a 3×4 matrix.
        c.storages["0"] = (0..<12).flatMap { withUnsafeBytes(of: Float($0).bitPattern.littleEndian, Array.init) }
        // Transpose: shape [4, 3], strides [1, 4].
        c.tensors.append(.init(key: "t", storageKey: "0", storageCount: 12, shape: [4, 3], strides: [1, 4]))
        // Rows 1…2, columns 1…2: offset 5, shape [2, 2], strides [4, 1].
        c.tensors.append(.init(key: "window", storageKey: "0", storageCount: 12, offset: 5, shape: [2, 2], strides: [4, 1]))
        // A contiguous view with an offset, and a broadcast (stride 0) view.
        c.tensors.append(.init(key: "tail", storageKey: "0", storageCount: 12, offset: 8, shape: [4], strides: [1]))
        c.tensors.append(.init(key: "bcast", storageKey: "0", storageCount: 12, offset: 3, shape: [2, 3], strides: [0, 1]))
        let sd = try PyTorchCheckpoint.load(path: try c.write(in: dir))
        XCTAssertEqual(try sd.take("t", shape: [4, 3]).values, [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11])
        XCTAssertEqual(try sd.take("window", shape: [2, 2]).values, [5, 6, 9, 10])
        XCTAssertEqual(try sd.take("tail", shape: [4]).values, [8, 9, 10, 11])
        XCTAssertEqual(try sd.withUnsafeValues("t", shape: [4, 3]) { Array($0) }, [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11])
        XCTAssertEqual(try sd.take("bcast", shape: [2, 3]).values, [3, 4, 5, 3, 4, 5])
        try sd.finish()
    }

    func testOtherFloatTypesAreConverted() throws {
        var c = SyntheticCheckpoint()
        c.storages["h"] = [0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00, 0x00, 0x7C]  // 1, -2, 2^-24, +inf
        c.tensors.append(.init(key: "half", storageClass: "HalfStorage", storageKey: "h", storageCount: 4, shape: [4], strides: [1]))
        c.storages["b"] = [0x80, 0x3F, 0x40, 0xC0]  // bfloat16 1, -3
        c.tensors.append(.init(key: "bf16", storageClass: "BFloat16Storage", storageKey: "b", storageCount: 2, shape: [2], strides: [1]))
        c.storages["d"] = [0.5, -1e-3].flatMap { withUnsafeBytes(of: Double($0).bitPattern.littleEndian, Array.init) }
        c.tensors.append(.init(key: "double", storageClass: "DoubleStorage", storageKey: "d", storageCount: 2, shape: [2], strides: [1]))
        let sd = try PyTorchCheckpoint.load(path: try c.write(in: dir))
        XCTAssertEqual(try sd.take("half", shape: [4]).values, [1, -2, 0x1p-24, .infinity])
        XCTAssertEqual(try sd.take("bf16", shape: [2]).values, [1, -3])
        XCTAssertEqual(try sd.take("double", shape: [2]).values, [0.5, Float(-1e-3)])
    }

    func testBigEndianByteOrder() throws {
        var c = SyntheticCheckpoint()
        c.storages["0"] = [1.5, -2].flatMap { withUnsafeBytes(of: Float($0).bitPattern.bigEndian, Array.init) }
        c.tensors.append(.init(key: "w", storageKey: "0", storageCount: 2, shape: [2], strides: [1]))
        c.extraMembers = [("archive/byteorder", Array("big".utf8))]
        let sd = try PyTorchCheckpoint.load(path: try c.write(in: dir))
        XCTAssertEqual(try sd.take("w", shape: [2]).values, [1.5, -2])
    }

    func testTrainingCheckpointIsUnwrapped() throws {
        for wrapper in ["model", "state_dict"] {
            var c = basic()
            c.wrapper = wrapper
            let sd = try PyTorchCheckpoint.load(path: try c.write(in: dir, name: "\(wrapper).pth"))
            XCTAssertEqual(sd.keys, ["conv.bias", "conv.weight"], wrapper)
        }
    }

    // MARK: - Strict consumption errors

    func testMissingKey() throws {
        let sd = try PyTorchCheckpoint.load(path: try basic().write(in: dir))
        assertVoxSAMError(try sd.take("conv.weights", shape: [2, 3]), code: .model, "missing key", "conv.weights",
                          "voxsam model fetch")
        assertVoxSAMError(try sd.skip("nothing"), code: .model, "missing key", "nothing")
    }

    func testWrongShapeNamesBothShapes() throws {
        let sd = try PyTorchCheckpoint.load(path: try basic().write(in: dir))
        assertVoxSAMError(try sd.take("conv.weight", shape: [3, 2]), code: .model, "conv.weight",
                          "has shape [2, 3]", "expects [3, 2]")
    }

    func testIntegerTensorCannotBeTakenAsFloat() throws {
        let sd = try PyTorchCheckpoint.load(path: try basic().write(in: dir))
        assertVoxSAMError(try sd.take("bn.num_batches_tracked", shape: []), code: .model, "int64")
    }

    func testUnknownKeysAreListedByFinish() throws {
        var c = basic()
        c.addFloat("extra.one", shape: [1], values: [1])
        c.addFloat("extra.two", shape: [1], values: [2])
        let sd = try PyTorchCheckpoint.load(path: try c.write(in: dir))
        _ = try sd.take("conv.weight", shape: [2, 3])
        _ = try sd.take("conv.bias", shape: [2])
        try sd.skip("bn.num_batches_tracked")
        assertVoxSAMError(try sd.finish(), code: .model, "unknown keys", "(2,", "extra.one, extra.two")
    }

    // MARK: - Damaged and unsupported files

    func testUnsupportedOpcodeIsNamedWithOffset() throws {
        var c = basic()
        c.injected = [0x81]  // NEWOBJ, right after PROTO 2 (byte offset 2)
        let path = try c.write(in: dir)
        assertVoxSAMError(try PyTorchCheckpoint.load(path: path), code: .unsupportedFormat,
                          "0x81 (NEWOBJ)", "byte offset 2", "archive/data.pkl")
        c.injected = [0x49]  // INT (protocol 0 text integer)
        assertVoxSAMError(try PyTorchCheckpoint.load(path: try c.write(in: dir, name: "int.pth")), code: .unsupportedFormat,
                          "0x49 (INT)", "byte offset 2")
    }

    func testDisallowedGlobalIsRefused() throws {
        var c = basic()
        var p = PickleWriter()
        p.global("os", "system")
        c.injected = p.bytes
        assertVoxSAMError(try PyTorchCheckpoint.load(path: try c.write(in: dir)), code: .unsupportedFormat,
                          "os.system", "byte offset 2")
    }

    func testTruncatedZip() throws {
        let bytes = basic().archiveBytes()
        for cut in [bytes.count - 1, bytes.count - 30, bytes.count / 2, 10] {
            let url = dir.appendingPathComponent("cut\(cut).pth")
            try Data(bytes[0..<cut]).write(to: url)
            assertVoxSAMError(try PyTorchCheckpoint.load(path: url.path), code: .corruptFile, "not a valid zip archive",
                              "voxsam model fetch")
        }
    }

    func testTruncatedPickle() throws {
        var c = basic()
        var pickle = c.pickle()
        pickle.removeLast(40)
        var members: [(String, [UInt8])] = [("archive/data.pkl", pickle)]
        for key in c.storages.keys.sorted() { members.append(("archive/data/\(key)", c.storages[key] ?? [])) }
        let url = dir.appendingPathComponent("short-pickle.pth")
        try Data(ZipWriter.archive(members, zip64: true)).write(to: url)
        assertVoxSAMError(try PyTorchCheckpoint.load(path: url.path), code: .corruptFile, "data.pkl", "truncated")
        c.zip64 = false  // silence "never mutated"
    }

    /// A list that contains itself (through the memo) is refused, and its cycle broken so it does not
    /// leak (found by the pickle fuzzer: Fuzz/regressions/pickle).
    func testCyclicPickleIsRefused() throws {
        // PROTO 2, EMPTY_LIST, BINPUT 0, BINGET 0, APPEND, STOP: `l = []; l.append(l)`.
        let pickle: [UInt8] = [0x80, 0x02, 0x5D, 0x71, 0x00, 0x68, 0x00, 0x61, 0x2E]
        let url = dir.appendingPathComponent("cyclic.pth")
        try Data(ZipWriter.archive([("archive/data.pkl", pickle)], zip64: false)).write(to: url)
        assertVoxSAMError(try PyTorchCheckpoint.load(path: url.path), code: .unsupportedFormat, "contains itself")
    }

    func testTensorOutsideItsStorage() throws {
        var c = SyntheticCheckpoint()
        c.storages["0"] = [UInt8](repeating: 0, count: 16)
        c.tensors.append(.init(key: "w", storageKey: "0", storageCount: 4, offset: 1, shape: [4], strides: [1]))
        assertVoxSAMError(try PyTorchCheckpoint.load(path: try c.write(in: dir)), code: .corruptFile, "storage 0")
        // The storage claims more elements than its blob holds.
        var d = SyntheticCheckpoint()
        d.storages["0"] = [UInt8](repeating: 0, count: 8)
        d.tensors.append(.init(key: "w", storageKey: "0", storageCount: 4, shape: [4], strides: [1]))
        assertVoxSAMError(try PyTorchCheckpoint.load(path: try d.write(in: dir, name: "d.pth")), code: .corruptFile,
                          "`w`", "holds 8 bytes")
    }

    func testMissingStorageMember() throws {
        var c = basic()
        c.storages["0"] = nil
        assertVoxSAMError(try PyTorchCheckpoint.load(path: try c.write(in: dir)), code: .corruptFile,
                          "archive/data/0", "missing")
    }

    func testCompressedMembersAreRefused() throws {
        var c = basic()
        c.method = 8
        assertVoxSAMError(try PyTorchCheckpoint.load(path: try c.write(in: dir)), code: .unsupportedFormat,
                          "compressed")
    }

    func testNotACheckpoint() throws {
        let junk = dir.appendingPathComponent("junk.pth")
        try Data((0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }).write(to: junk)
        assertVoxSAMError(try PyTorchCheckpoint.load(path: junk.path), code: .corruptFile, "not a valid zip archive")

        let legacy = dir.appendingPathComponent("legacy.pth")
        try Data([0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]).write(to: legacy)
        assertVoxSAMError(try PyTorchCheckpoint.load(path: legacy.path), code: .unsupportedFormat, "legacy")

        let otherZip = dir.appendingPathComponent("other.zip")
        try Data(ZipWriter.archive([("hello.txt", Array("hi".utf8))], zip64: false)).write(to: otherZip)
        assertVoxSAMError(try PyTorchCheckpoint.load(path: otherZip.path), code: .unsupportedFormat, "data.pkl")

        let empty = dir.appendingPathComponent("empty.pth")
        try Data().write(to: empty)
        assertVoxSAMError(try PyTorchCheckpoint.load(path: empty.path), code: .corruptFile, "empty")

        assertVoxSAMError(try PyTorchCheckpoint.load(path: dir.appendingPathComponent("missing.pth").path), code: .notFound)
    }
}

/// Damaged files must produce errors, never crashes: flip random bytes and read everything.
final class CheckpointFuzzTests: XCTestCase {
    func testRandomCorruptionNeverCrashes() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var c = SyntheticCheckpoint()
        c.addFloat("a.weight", shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        c.addFloat("a.bias", shape: [2], values: [7, 8])
        c.addInt64Scalar("n", value: 3)
        let clean = c.archiveBytes()
        var rng = SeededRandom(seed: 0x5EED)
        var loaded = 0, refused = 0
        for round in 0..<1500 {
            var bytes = clean
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let i = Int(rng.next() % UInt64(bytes.count))
                bytes[i] = round % 2 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : bytes[i] ^ (1 << UInt8(rng.next() % 8))
            }
            if round % 10 == 0 { bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count)))) }
            let url = dir.appendingPathComponent("fuzz.pth")
            try Data(bytes).write(to: url)
            do {
                let sd = try PyTorchCheckpoint.load(path: url.path)
                for key in sd.keys {
                    if let info = sd.peek(key) { _ = try? sd.take(key, shape: info.shape) }
                }
                loaded += 1
            } catch is VoxSAMError {
                refused += 1
            }
        }
        XCTAssertEqual(loaded + refused, 1500)
        print("fuzz: \(loaded) damaged files still loaded, \(refused) refused with a VoxSAMError")
        XCTAssertGreaterThan(refused, 0)
    }
}
