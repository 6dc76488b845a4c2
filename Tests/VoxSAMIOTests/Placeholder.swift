import XCTest
final class VoxSAMIOTestsPlaceholder: XCTestCase { func testNothing() {} }
