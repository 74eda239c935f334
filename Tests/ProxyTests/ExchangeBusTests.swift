import Foundation
import Logging
import Testing
@testable import Proxy

@Suite struct ExchangeBusTests {
    func exchange() -> Exchange {
        Exchange(id: ExchangeID.make(), startedAt: Date(), provider: Provider.presets[0], method: "POST",
                 target: "/v1/messages", format: .anthropicMessages, userAgent: "claude-cli/2.1.0", requestHeaders: [])
    }

    /// Each subscriber gets the kinds it asked for, in order; one that falls behind loses events,
    /// counted, without holding up the publisher or the other subscribers.
    @Test func subscribersGetWhatTheyAskedForAndAFullOneDropsCounted() async {
        let failures = FailureLog(logger: Logger(label: "test"))
        let bus = ExchangeBus(failures: failures)
        let everything = bus.subscribe("all")
        let finishedOnly = bus.subscribe("finished", kinds: [.finished])
        let tiny = bus.subscribe("tiny", capacity: 1, kinds: [.started])
        let a = exchange(), b = exchange()
        for event: ExchangeEvent in [.started(a), .updated(a), .started(b), .finished(a), .finished(b)] { bus.publish(event) }
        bus.finish()

        var all: [ExchangeEvent.Kind] = []
        for await event in everything.events { all.append(event.kind) }
        var finished: [String] = []
        for await event in finishedOnly.events { finished.append(event.exchange.id) }
        var kept = 0
        for await _ in tiny.events { kept += 1 }
        #expect(all == [.started, .updated, .started, .finished, .finished])
        #expect(finished == [a.id, b.id])
        #expect(kept == 1)
        #expect(failures.count(.busDrop) == 1)
    }
}
