import Foundation
import Testing
@testable import Proxy

/// Every order of events a relayed exchange meets, without a socket: what the relay is told to do,
/// and so what the client sees and what is recorded.
@Suite struct RelayStateMachineTests {
    private let upstream = URL(string: "https://api.anthropic.com")!
    private struct Refused: Error {}

    private func machine(upgrade: Bool = false, closeAfter: Bool = false) -> RelayStateMachine {
        RelayStateMachine(upgrade: upgrade, closeAfter: closeAfter || upgrade, upstream: upstream)
    }

    private let clean = RelayStateMachine.Ending(failure: nil, closeClient: false)

    @Test func aRequestReadInOneGoWaitsForItsConnectionThenStreams() {
        var relay = machine()
        #expect(relay.clientBody() == .queue)
        #expect(relay.clientEnd() == .queue)
        #expect(relay.connected() == .attach)
        #expect(relay.responseHead(status: 200, keepAlive: true) == .forward)
        #expect(relay.responseBody() == .forwardFirst)
        #expect(relay.responseBody() == .forward)
        #expect(relay.responseEnd() == .complete(reuseConnection: true, then: clean))
        #expect(relay.state == .finished)
        // Whatever the sockets say after that changes nothing.
        #expect(relay.clientClosed() == .none)
        #expect(relay.upstreamFailed(Refused()) == .none)
    }

    @Test func aBodyThatArrivesAfterTheConnectionGoesStraightUp() {
        var relay = machine()
        #expect(relay.connected() == .attach)
        #expect(relay.clientBody() == .send)
        #expect(relay.responseHead(status: 200, keepAlive: true) == .forward)
        #expect(relay.clientBody() == .send)
        #expect(relay.clientEnd() == .send)
        #expect(relay.responseEnd() == .complete(reuseConnection: true, then: clean))
    }

    @Test func upstreamAnswersBeforeTheClientEndsItsRequest() {
        var relay = machine()
        #expect(relay.connected() == .attach)
        #expect(relay.responseHead(status: 413, keepAlive: true) == .forward)
        #expect(relay.responseEnd() == .complete(reuseConnection: false, then: nil))  // its framing is unknown
        #expect(relay.responseOver)
        #expect(relay.clientBody() == .drop)
        #expect(relay.clientEnd() == .finish(clean))
    }

    @Test func upstreamSaysCloseSoItsConnectionIsNotReused() {
        var relay = machine()
        _ = relay.clientEnd()
        _ = relay.connected()
        _ = relay.responseHead(status: 200, keepAlive: false)
        #expect(relay.responseEnd() == .complete(reuseConnection: false, then: clean))
    }

    @Test func aClientThatAskedForCloseIsClosedOnceItsAnswerEnds() {
        var relay = machine(closeAfter: true)
        _ = relay.clientEnd()
        _ = relay.connected()
        _ = relay.responseHead(status: 200, keepAlive: true)
        #expect(relay.responseEnd() == .complete(reuseConnection: true, then: .init(failure: nil, closeClient: true)))
    }

    @Test func upstreamUnreachableAnswersA502AndTheRequestIsRecordedAsSuch() throws {
        var relay = machine()
        _ = relay.clientEnd()
        guard case .answerWithError(let failure, let ending) = relay.upstreamFailed(Refused()) else {
            Issue.record("expected an error answer")
            return
        }
        #expect(failure.status == .badGateway)
        #expect(failure.outcome == .upstreamUnreachable)
        #expect(ending == .init(failure: .init(outcome: .upstreamUnreachable, message: failure.message), closeClient: false))
        // The connection that was being made arrives too late: it goes back to the pool.
        #expect(relay.connected() == .release)
    }

    @Test func aFailureBeforeTheRequestEndedWaitsForItsEnd() {
        var relay = machine()
        _ = relay.connected()
        guard case .answerWithError(let failure, nil) = relay.upstreamFailed(UpstreamError.readTimeout) else {
            Issue.record("expected an error answer, the exchange not yet over")
            return
        }
        #expect(failure.status == .gatewayTimeout)
        #expect(relay.clientBody() == .drop)
        #expect(relay.clientEnd() == .finish(.init(failure: .init(outcome: .upstreamTimeout, message: failure.message), closeClient: false)))
    }

    @Test func upstreamDropsMidBody() {
        var relay = machine(closeAfter: true)
        _ = relay.clientEnd()
        _ = relay.connected()
        _ = relay.responseHead(status: 200, keepAlive: true)
        _ = relay.responseBody()
        guard case .breakOff(let ending) = relay.upstreamFailed(UpstreamError.closed) else {
            Issue.record("expected the client's answer to break off")
            return
        }
        #expect(ending.failure?.outcome == .upstreamDropped)
        #expect(ending.closeClient == false)  // it is being closed already
        #expect(relay.responseEnd() == .ignore)
        #expect(relay.clientClosed() == .none)
    }

    @Test(arguments: [0, 1, 2, 3])
    func theClientLeavesAtAnyPoint(step: Int) {
        var relay = machine()
        _ = relay.clientEnd()
        if step > 0 { _ = relay.connected() }
        if step > 1 { _ = relay.responseHead(status: 200, keepAlive: true) }
        if step > 2 { _ = relay.responseBody() }
        let disconnected = RelayStateMachine.Failure(outcome: .clientDisconnected, message: "client closed the connection mid-response")
        #expect(relay.clientClosed() == .abandon(.init(failure: disconnected, closeClient: false)))
        // Upstream's late parts are ignored, and a connection still being made is given back.
        #expect(relay.responseBody() == .ignore)
        #expect(relay.responseEnd() == .ignore)
        #expect(relay.upstreamFailed(Refused()) == .none)
        #expect(relay.connected() == .release)
    }

    @Test func theClientLeavesAfterItsAnswerWhileItsRequestWasStillComing() {
        var relay = machine()
        _ = relay.connected()
        _ = relay.responseHead(status: 400, keepAlive: true)
        _ = relay.responseEnd()
        #expect(relay.clientClosed() == .finish(clean))
    }

    @Test func anAcceptedUpgradeBecomesATunnel() {
        var relay = machine(upgrade: true)
        _ = relay.clientEnd()
        _ = relay.connected()
        #expect(relay.responseHead(status: 101, keepAlive: true) == .awaitSwitch)
        #expect(relay.responseBody() == .ignore)
        #expect(relay.responseEnd() == .becomeTunnel)
        #expect(relay.state == .tunnel)
        // The tunnel owns both connections now.
        #expect(relay.clientClosed() == .none)
        #expect(relay.upstreamFailed(UpstreamError.closed) == .none)
    }

    @Test func aRefusedUpgradeIsAnExchangeAndClosesTheConnection() {
        var relay = machine(upgrade: true)
        _ = relay.clientEnd()
        _ = relay.connected()
        #expect(relay.responseHead(status: 426, keepAlive: true) == .forward)
        #expect(relay.responseEnd() == .complete(reuseConnection: true, then: .init(failure: nil, closeClient: true)))
    }

    @Test func aStatus101ForAPlainRequestIsForwardedAsItCame() {
        var relay = machine()
        _ = relay.connected()
        #expect(relay.responseHead(status: 101, keepAlive: true) == .forward)
    }

    @Test func upstreamDropsBeforeTheSwitchCompletes() {
        var relay = machine(upgrade: true)
        _ = relay.clientEnd()
        _ = relay.connected()
        _ = relay.responseHead(status: 101, keepAlive: true)
        guard case .breakOff(let ending) = relay.upstreamFailed(UpstreamError.closed) else {
            Issue.record("expected a break-off")
            return
        }
        #expect(ending.failure?.outcome == .upstreamDropped)
    }
}
