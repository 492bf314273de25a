import XCTest
final class IndexSmokeTests: XCTestCase { func testBuilds() {} }
