import XCTest
final class VoxSAMModelTestsPlaceholder: XCTestCase { func testNothing() {} }
