import Foundation
import Testing
@testable import Proxy

@Suite struct ExchangeIDTests {
    /// Ids name history rows and OpenTelemetry traces: made in the same millisecond, only their random
    /// bytes tell them apart, so those must differ also across refills of the block they are cut from.
    @Test func idsOfOneInstantAreDistinctAcrossRandomBlockRefills() {
        let now = Date()
        let ids = (0..<1000).map { _ in ExchangeID.make(at: now) }  // 16 000 random bytes: four 4 KB blocks
        #expect(Set(ids).count == ids.count)
        #expect(Set(ids.map { $0.suffix(12) }).count == ids.count)  // the last 48 bits are random only
    }

    @Test func idsAreVersion7UUIDsInTimeOrder() throws {
        let ids = (0..<100).map { ExchangeID.make(at: Date(timeIntervalSince1970: 1_700_000_000 + Double($0))) }
        for id in ids {
            let uuid = try #require(UUID(uuidString: id))
            #expect(uuid.uuidString.lowercased() == id)
            #expect(Array(id)[14] == "7")
            #expect("89ab".contains(Array(id)[19]))
        }
        #expect(ids == ids.sorted())
    }
}
