import Foundation
import Proxy
import Synchronization
import Testing
@testable import Exporters

@Suite struct EventQueueTests {
    /// A burst of exchanges reaches a writer as one batch (one transaction, one file append), and
    /// nothing pushed before `finish` is lost.
    @Test func aBurstBecomesOneBatchAndNothingIsLost() async {
        let queue = EventQueue(capacity: 100)
        let batches = Mutex<[[String]]>([])
        let writer = Task {
            await queue.batches { batch in batches.withLock { $0.append(batch.map(\.exchange.id)) } }
        }
        let burst = (0..<5).map { _ in StoreFixtures.exchange(body: Data("{}".utf8)) }
        for exchange in burst {
            #expect(queue.push(.finished(exchange)))
            try? await Task.sleep(for: .milliseconds(2))  // requests a few ms apart, as an agent's burst
        }
        try? await Task.sleep(for: EventQueue.batchWindow * 4)
        let late = StoreFixtures.exchange(body: Data("{}".utf8))
        #expect(queue.push(.finished(late)))
        queue.finish()
        await writer.value
        let seen = batches.withLock { $0 }
        // One batch, or two on a machine slow enough to stretch the burst past the window; one per
        // exchange without it.
        let burstBatches = seen.filter { !Set($0).isDisjoint(with: burst.map(\.id)) }
        #expect(burstBatches.count <= 2)
        #expect(seen.flatMap { $0 } == burst.map(\.id) + [late.id])
    }
}
