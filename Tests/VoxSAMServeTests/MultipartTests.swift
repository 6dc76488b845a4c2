import Foundation
import VoxSAMServe
import VoxSAMTestSupport
import XCTest

/// The multipart/form-data grammar `voxsam serve` reads (what `requests` and MONAI Label's
/// `http.client` code send) and writes (what its `cgi` parser reads), and the ID rule that keeps
/// client names out of paths.
final class MultipartTests: XCTestCase {
    /// A body as Python `requests` writes it for `files={"params": (None, ...), "file": (...)}`.
    static let requestsBody = Data(("--a1b2\r\nContent-Disposition: form-data; name=\"params\"\r\n\r\n{\"roi\": [1, 2, 3, 4, 5, 6]}\r\n"
        + "--a1b2\r\nContent-Disposition: form-data; name=\"file\"; filename=\"ct.nii.gz\"\r\nContent-Type: application/gzip\r\n\r\nDATA\r\n--xx\r\n"
        + "--a1b2--\r\n").utf8)

    func testParsesWhatRequestsSends() throws {
        let b = try Multipart.boundary(contentType: "multipart/form-data; boundary=a1b2")
        let parts = try Multipart.parse(Self.requestsBody, boundary: b)
        XCTAssertEqual(parts.map(\.name), ["params", "file"])
        XCTAssertEqual(parts[0].text, "{\"roi\": [1, 2, 3, 4, 5, 6]}")
        XCTAssertNil(parts[0].filename)
        XCTAssertEqual(parts[1].filename, "ct.nii.gz")
        XCTAssertEqual(parts[1].contentType, "application/gzip")
        XCTAssertEqual(parts[1].text, "DATA\r\n--xx", "a line that only looks like a boundary stays in the data")
        // Quoted boundary, a preamble, and MONAI Label's own client boundary (with `$`).
        let monai = "----------lImIt_of_THE_fIle_eW_$"
        let body = Data("preamble\r\n--\(monai)\r\nContent-Disposition: form-data; name=\"params\"\r\n\r\n{}\r\n--\(monai)--\r\n".utf8)
        let q = try Multipart.boundary(contentType: "Multipart/Form-Data; boundary=\"\(monai)\"")
        XCTAssertEqual(try Multipart.parse(body, boundary: q).map(\.text), ["{}"])
    }

    /// MONAI Label's client re-sends a stale Content-Type (another boundary) with `create_session`
    /// once a token is set: the body's own first delimiter is used then, and only then.
    func testStaleContentTypeOfMONAILabelsClient() throws {
        let stale = "multipart/form-data; boundary=----------lImIt_of_THE_fIle_eW_$"
        XCTAssertEqual(try Multipart.parse(Self.requestsBody, contentType: stale).map(\.name), ["params", "file"])
        XCTAssertEqual(try Multipart.parse(Self.requestsBody, contentType: "multipart/form-data; boundary=a1b2").count, 2)
        XCTAssertThrowsError(try Multipart.parse(Data("no delimiter line".utf8), contentType: stale)) {
            XCTAssertTrue(($0 as? APIError)?.message.contains("never occurs") == true)
        }
    }

    func testRoundTripWithBinaryData() throws {
        var random = SeededRandom(seed: 14)
        var bytes = (0..<70_000).map { _ in UInt8(random.next(in: 0...255)) }
        bytes.replaceSubrange(100..<108, with: Array("\r\n--\r\n--".utf8))
        let parts = [MultipartPart(name: "params", contentType: "application/json", body: Data("{\"a\": 1}".utf8)),
                     MultipartPart(name: "image", filename: "label.nrrd", contentType: "application/octet-stream", body: Data(bytes))]
        let (type, body) = Multipart.encode(parts)
        XCTAssertEqual(try Multipart.parse(body, boundary: try Multipart.boundary(contentType: type)), parts)
    }

    func testMalformedBodiesAreRefusedWithWhatIsWrong() {
        func refused(_ body: String, _ expected: String, type: String? = "multipart/form-data; boundary=B",
                     file: StaticString = #filePath, line: UInt = #line) {
            do {
                _ = try Multipart.parse(Data(body.utf8), boundary: try Multipart.boundary(contentType: type))
                XCTFail("accepted: \(body.debugDescription)", file: file, line: line)
            } catch let e as APIError {
                XCTAssertEqual(e.status, 400, file: file, line: line)
                XCTAssertTrue(e.message.contains(expected), "\(e.message) lacks \(expected)", file: file, line: line)
            } catch {
                XCTFail("\(error)", file: file, line: line)
            }
        }
        let part = "--B\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\nv\r\n"
        refused(part, "truncated")
        refused(part + "--B", "truncated")
        refused("--B\r\nContent-Disposition: form-data; name=\"p\"\r\n", "no end of headers")
        refused("--B\r\nContent-Disposition: form-data\r\n\r\nv\r\n--B--", "Content-Disposition")
        refused("--B\r\nX-Nothing: 1\r\n\r\nv\r\n--B--", "no Content-Disposition")
        refused("--B\r\nbroken header\r\n\r\nv\r\n--B--", "without `:`")
        refused("nothing here", "never occurs")
        refused(part + "--B--", "no Content-Type", type: nil)
        refused(part + "--B--", "not multipart", type: "application/json")
        refused(part + "--B--", "no usable boundary", type: "multipart/form-data")
        refused(String(repeating: part, count: Multipart.maxParts + 1) + "--B--", "more than")
        refused("--B\r\n" + String(repeating: "X-A: b\r\n", count: 2000) + "\r\nv\r\n--B--", "no end of headers")
    }

    /// Seeded mutations of a valid body: each is parsed or refused with a 400, never a crash.
    func testMutatedBodiesNeverCrash() {
        var random = SeededRandom(seed: 2026)
        let base = Array(Self.requestsBody)
        var refused = 0
        for _ in 0..<3000 {
            var b = base
            for _ in 0..<random.next(in: 1...4) {
                switch random.next(in: 0...2) {
                case 0: b[random.next(in: 0...(b.count - 1))] = UInt8(random.next(in: 0...255))
                case 1: b.removeSubrange(random.next(in: 0...(b.count - 1))..<b.count)
                default: b.insert(contentsOf: Array("\r\n--a1b2".utf8), at: random.next(in: 0...b.count))
                }
                if b.isEmpty { b = [0] }
            }
            do { _ = try Multipart.parse(Data(b), boundary: "a1b2") } catch let e as APIError {
                XCTAssertEqual(e.status, 400); refused += 1
            } catch { XCTFail("\(error)") }
        }
        XCTAssertGreaterThan(refused, 500)
    }

    func testIDsNeverBecomePaths() throws {
        // IDs as Slicer sends them (volume names) are hashed into folder names, so any printable text goes
        // but separators, `.` and `..`.
        for ok in ["ct1", "a.b_c-d", "3: Ax T1 2.5mm", ".hidden", "Müller^Anna", "%2e%2e", String(repeating: "x", count: 255)] {
            XCTAssertEqual(try Datastore.checkID(ok), ok)
        }
        for bad in ["", ".", "..", "../x", "a/b", "a\\b", "a\u{0}b", "line\nbreak", "\u{7f}", String(repeating: "x", count: 256)] {
            XCTAssertThrowsError(try Datastore.checkID(bad), bad) { XCTAssertEqual(($0 as? APIError)?.status, 400) }
        }
        for bad in ["../x", ".x", "a b", String(repeating: "t", count: 65)] {
            XCTAssertThrowsError(try Datastore.checkTag(bad), bad) { XCTAssertEqual(($0 as? APIError)?.status, 400) }
        }
        XCTAssertEqual(try Datastore.checkTag(nil), "final")
    }
}
