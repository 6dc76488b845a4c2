import XCTest
final class VoxSAMCoreTestsPlaceholder: XCTestCase { func testNothing() {} }
