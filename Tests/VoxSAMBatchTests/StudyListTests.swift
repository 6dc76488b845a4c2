import Foundation
import VoxSAMCore
@testable import VoxSAMBatch
import XCTest

/// Study lists (`NAME ADDRESS` per line) for batches of series on a PACS.
final class StudyListTests: XCTestCase {
    func list(_ text: String, accept: Bool = true) throws -> [Study] {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("voxsam-list-\(UUID().uuidString).txt")
        try Data(text.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try Study.list(fromFile: url.path) { a in
            if !accept || !a.hasPrefix("dimse://") { throw VoxSAMError(.invalidArgument, "`\(a)` is no address") }
        }
    }

    func testStudyList() throws {
        let s = try list("# comment\r\n\r\n  b dimse://P@h:104/1.2  \r\na\tdimse://P@h:104/1.3\r\n")
        XCTAssertEqual(s.map(\.name), ["a", "b"], "sorted by name")
        XCTAssertEqual(s.map(\.path), ["dimse://P@h:104/1.3", "dimse://P@h:104/1.2"])
        XCTAssertTrue(s.allSatisfy { $0.isRemote && $0.isFolder })
        for (text, says) in [("a\n", "line 1: expected `NAME ADDRESS`"), ("a b c\n", "expected"), ("../x dimse://P@h/1.2", "cannot name an output folder"),
                             (".hidden dimse://P@h/1.2", "cannot name"), ("a/b dimse://P@h/1.2", "cannot name"),
                             ("a dimse://P@h/1.2\na dimse://P@h/1.3", "line 2: the study `a` is listed twice"),
                             ("a /data/ct", "line 1: `/data/ct` is no address"), ("Manifests dimse://P@h/1.2", "the batch's own files"),
                             ("summary.csv dimse://P@h/1.2", "the batch's own files"), ("# only a comment\n", "names no study")] {
            XCTAssertThrowsError(try list(text), text) { e in
                XCTAssertTrue((e as? VoxSAMError)?.message.contains(says) == true, "\(text): \(e)")
            }
        }
    }
}
