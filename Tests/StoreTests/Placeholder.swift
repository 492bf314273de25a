import XCTest
final class StoreSmokeTests: XCTestCase { func testBuilds() {} }
