import Foundation
import Testing
@testable import Proxy

@Suite struct ExchangeIDTests {
    /// Ids name history rows and OpenTelemetry traces: they must never repeat, also across the refills
    /// of the random block they are cut from, and must read as UUIDv7 in time order.
    @Test func idsAreDistinctVersion7UUIDsInTimeOrder() throws {
        let ids = (0..<1000).map { ExchangeID.make(at: Date(timeIntervalSince1970: 1_700_000_000 + Double($0))) }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            let uuid = try #require(UUID(uuidString: id))
            #expect(uuid.uuidString.lowercased() == id)
            #expect(Array(id)[14] == "7")
            #expect("89ab".contains(Array(id)[19]))
        }
        #expect(ids == ids.sorted())
    }
}
