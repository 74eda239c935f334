import Foundation

/// The life of one relayed exchange: the state it is in, and what each event asks the relay to do.
/// It holds no socket and no buffer, so every order of events is tested without either
/// (`RelayStateMachineTests`); `Relay` performs the actions.
struct RelayStateMachine {
    /// The client's request: still being read, or ended (its end has gone upstream once attached).
    enum Request: Equatable {
        case reading
        case ended
    }

    struct Failure: Equatable {
        let outcome: Exchange.Outcome
        let message: String
    }

    /// The exchange is over: record it, with `failure` when it broke off, and free the client connection.
    struct Ending: Equatable {
        let failure: Failure?
        /// Close the client connection rather than read its next request.
        let closeClient: Bool
    }

    enum State: Equatable {
        /// No upstream connection yet: the client's parts wait for one.
        case connecting(Request)
        /// The request is going upstream; no response head yet.
        case awaitingHead(Request)
        /// The response head has gone to the client; its body follows.
        case streaming(Request, keepAlive: Bool, sawBody: Bool)
        /// Upstream agreed to a WebSocket; when its `101` ends, the two connections become a tunnel.
        case switching
        /// The response is over; the rest of the client's request is read and dropped.
        case draining(Failure?)
        case tunnel
        case finished
    }

    private(set) var state = State.connecting(.reading)
    /// The request asks to become a WebSocket.
    private let upgrade: Bool
    /// The client asked for `Connection: close`, or for a WebSocket (its decoder reads no more HTTP).
    private let closeAfter: Bool
    private let upstream: URL

    init(upgrade: Bool, closeAfter: Bool, upstream: URL) {
        self.upgrade = upgrade
        self.closeAfter = closeAfter
        self.upstream = upstream
    }

    /// Upstream's answer is over, or will never come: nothing more goes up, and the client is not held.
    var responseOver: Bool {
        switch state {
        case .draining, .tunnel, .finished: return true
        case .connecting, .awaitingHead, .streaming, .switching: return false
        }
    }

    // MARK: From the client

    enum RequestPartAction: Equatable {
        /// No connection yet: keep the part for when there is one.
        case queue
        case send
        /// Upstream has answered: the rest is read and dropped.
        case drop
    }

    mutating func clientBody() -> RequestPartAction {
        switch state {
        case .connecting: return .queue
        case .awaitingHead, .streaming, .switching: return .send
        case .draining, .tunnel, .finished: return .drop
        }
    }

    enum RequestEndAction: Equatable {
        case queue
        /// Write the end upstream and flush.
        case send
        case drop
        case finish(Ending)
    }

    mutating func clientEnd() -> RequestEndAction {
        switch state {
        case .connecting:
            state = .connecting(.ended)
            return .queue
        case .awaitingHead:
            state = .awaitingHead(.ended)
            return .send
        case .streaming(_, let keepAlive, let sawBody):
            state = .streaming(.ended, keepAlive: keepAlive, sawBody: sawBody)
            return .send
        case .switching:
            return .send
        case .draining(let failure):
            state = .finished
            return .finish(Ending(failure: failure, closeClient: closeAfter))
        case .tunnel, .finished:
            return .drop
        }
    }

    enum ClientClosedAction: Equatable {
        /// Mid-exchange: close upstream, then finish.
        case abandon(Ending)
        /// The response was over already.
        case finish(Ending)
        case none
    }

    /// The client connection went away. It is closing, so it is never asked to close.
    mutating func clientClosed() -> ClientClosedAction {
        switch state {
        case .connecting, .awaitingHead, .streaming, .switching:
            state = .finished
            let failure = Failure(outcome: .clientDisconnected, message: "client closed the connection mid-response")
            return .abandon(Ending(failure: failure, closeClient: false))
        case .draining(let failure):
            state = .finished
            return .finish(Ending(failure: failure, closeClient: false))
        case .tunnel, .finished:
            return .none
        }
    }

    // MARK: From upstream

    enum ConnectedAction: Equatable {
        /// Attach it, then send the head and the parts that waited.
        case attach
        /// The exchange ended while it was being made: give it back to the pool.
        case release
    }

    mutating func connected() -> ConnectedAction {
        guard case .connecting(let request) = state else { return .release }
        state = .awaitingHead(request)
        return .attach
    }

    enum ResponseHeadAction: Equatable {
        case forward
        /// A `101` for the WebSocket the client asked for: held until its end.
        case awaitSwitch
        case ignore
    }

    mutating func responseHead(status: Int, keepAlive: Bool) -> ResponseHeadAction {
        guard case .awaitingHead(let request) = state else { return .ignore }
        if upgrade, status == 101 {
            state = .switching
            return .awaitSwitch
        }
        state = .streaming(request, keepAlive: keepAlive, sawBody: false)
        return .forward
    }

    enum ResponseBodyAction: Equatable {
        /// The first body bytes: their time is the time to first byte.
        case forwardFirst
        case forward
        case ignore
    }

    mutating func responseBody() -> ResponseBodyAction {
        guard case .streaming(let request, let keepAlive, let sawBody) = state else { return .ignore }
        if sawBody { return .forward }
        state = .streaming(request, keepAlive: keepAlive, sawBody: true)
        return .forwardFirst
    }

    enum ResponseEndAction: Equatable {
        case becomeTunnel
        /// End the client's response; the connection goes back to the pool only when both messages
        /// ended cleanly, as otherwise its framing cannot be trusted.
        case complete(reuseConnection: Bool, then: Ending?)
        case ignore
    }

    mutating func responseEnd() -> ResponseEndAction {
        switch state {
        case .switching:
            state = .tunnel
            return .becomeTunnel
        case .streaming(.ended, let keepAlive, _):
            state = .finished
            return .complete(reuseConnection: keepAlive, then: Ending(failure: nil, closeClient: closeAfter))
        case .streaming(.reading, _, _):
            state = .draining(nil)
            return .complete(reuseConnection: false, then: nil)
        case .connecting, .awaitingHead, .draining, .tunnel, .finished:
            return .ignore
        }
    }

    enum UpstreamFailedAction: Equatable {
        /// No answer yet: the client gets this failure as a 502 or 504.
        case answerWithError(UpstreamFailure, then: Ending?)
        /// Mid-answer: what arrived goes to the client, whose connection then closes.
        case breakOff(Ending)
        case none
    }

    /// The connection could not be made, or broke, timed out or failed TLS.
    mutating func upstreamFailed(_ error: any Error) -> UpstreamFailedAction {
        switch state {
        case .connecting(let request), .awaitingHead(let request):
            let failure = UpstreamFailure(error, upstream: upstream)
            let recorded = Failure(outcome: failure.outcome, message: failure.message)
            guard request == .ended else {
                state = .draining(recorded)
                return .answerWithError(failure, then: nil)
            }
            state = .finished
            return .answerWithError(failure, then: Ending(failure: recorded, closeClient: closeAfter))
        case .streaming, .switching:
            state = .finished
            let failure = UpstreamFailure(error, upstream: upstream, midStream: true)
            return .breakOff(Ending(failure: Failure(outcome: failure.outcome, message: failure.message), closeClient: false))
        case .draining, .tunnel, .finished:
            return .none
        }
    }
}
