import Foundation
import XCTest
import VoxSAMCore

final class SHA256Tests: XCTestCase {
    /// FIPS 180-2 / NIST example vectors.
    func testStandardVectors() {
        XCTAssertEqual(SHA256.hex(of: Array("".utf8)),
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(of: "abc".utf8),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(of: "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let long = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
        XCTAssertEqual(SHA256.hex(of: Data(long.utf8)),
                       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }

    func testOneMillionA() {
        XCTAssertEqual(SHA256.hex(of: [UInt8](repeating: 0x61, count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Lengths around the padding boundaries (values from Python's hashlib).
    func testPaddingBoundaries() {
        let expected: [Int: String] = [
            55: "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
            56: "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
            57: "f13b2d724659eb3bf47f2dd6af1accc87b81f09f59f2b75e5c0bed6589dfe8c6",
            63: "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34",
            64: "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
            65: "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0",
            119: "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb",
            120: "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c",
            127: "c57e9278af78fa3cab38667bef4ce29d783787a2f731d4e12200270f0c32320a",
            128: "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e",
        ]
        for (n, hex) in expected {
            XCTAssertEqual(SHA256.hex(of: [UInt8](repeating: 0x61, count: n)), hex, "length \(n)")
        }
    }

    /// Feeding the same bytes in arbitrary pieces gives the same digest as one call.
    func testStreamingMatchesOneShot() {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<10_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let oneShot = SHA256.hex(of: bytes)
        for chunk in [1, 3, 63, 64, 65, 127, 1000] {
            var h = SHA256()
            var i = 0
            while i < bytes.count {
                let j = min(bytes.count, i + chunk)
                h.update(bytes[i..<j])
                i = j
            }
            XCTAssertEqual(h.hexDigest(), oneShot, "chunk \(chunk)")
        }
        // finalize() does not consume the hasher.
        var h = SHA256()
        h.update("ab".utf8)
        _ = h.finalize()
        h.update("c".utf8)
        XCTAssertEqual(h.hexDigest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func testFileHashAndMissingFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("voxsam-sha-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("a.bin")
        let bytes = [UInt8](repeating: 0x61, count: 1_000_000)
        try Data(bytes).write(to: url)
        XCTAssertEqual(try SHA256.hex(ofFile: url.path),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        XCTAssertThrowsError(try SHA256.hex(ofFile: dir.appendingPathComponent("missing").path)) { error in
            XCTAssertEqual((error as? VoxSAMError)?.code, .notFound)
        }
    }

    /// 40 MB should hash well under a second in release builds (only reported, not asserted, so
    /// debug builds pass too).
    func testThroughput() {
        let bytes = [UInt8](repeating: 0x5a, count: 40 << 20)
        let start = Date()
        _ = SHA256.hex(of: bytes)
        let seconds = Date().timeIntervalSince(start)
        print("SHA256: 40 MiB in \(String(format: "%.3f", seconds)) s")
    }
}
