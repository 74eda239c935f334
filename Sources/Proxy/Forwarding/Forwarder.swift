import AsyncAlgorithms
import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1

/// Forwards one request to its provider and streams the answer back unchanged, recording the exchange
/// on the side. The client sees exactly what upstream sent: status, headers (minus hop-by-hop), and
/// each body chunk as it arrives, written before ccglass reads its copy.
public struct Forwarder: Sendable {
    let context: ProxyContext
    let clients: UpstreamClients

    public init(context: ProxyContext, clients: UpstreamClients) {
        self.context = context
        self.clients = clients
    }

    public func forward(_ request: Request, to provider: Provider, target: Substring, runID: String? = nil) async -> Response {
        let started = ContinuousClock.now
        let pairs = request.headers.map { ($0.name.rawName, $0.value) }
        let format = WireFormatKind.detect(path: target)
        var exchange = Exchange(
            id: ExchangeID.make(), startedAt: Date(), provider: provider, method: request.method.rawValue,
            target: SecretRedaction.redact(target: String(target)), format: format,
            userAgent: request.headers[.userAgent],
            requestHeaders: SecretRedaction.redact(pairs).map { HeaderField($0.0, $0.1) })
        exchange.runID = runID ?? context.runID
        let recorder = ExchangeRecorder(exchange: exchange, started: started, context: context)

        var upstream = HTTPClientRequest(url: Self.join(provider.upstream, target))
        upstream.method = HTTPMethod(rawValue: request.method.rawValue)
        upstream.headers = HTTPHeaders(HeaderPolicy.upstreamRequestHeaders(pairs))
        let length = request.headers[.contentLength].flatMap(Int64.init)
        let hasBody = length != nil || request.headers[.transferEncoding] != nil
        let pump = RequestBodyPump(client: request.body, recorder: recorder, hasBody: hasBody)
        if hasBody {
            upstream.body = .stream(pump.upstreamBody, length: length.map { .known($0) } ?? .unknown)
        }

        let response: HTTPClientResponse
        let preUpstream = ContinuousClock.now - started
        do {
            response = try await clients.current.execute(upstream, deadline: .distantFuture, logger: context.logger)
        } catch {
            let failure = UpstreamFailure(error, upstream: provider.upstream)
            await pump.finished()
            await recorder.finish(tap: nil, failure: (failure.outcome, failure.message))
            return failure.response()
        }

        let upstreamHeaders = response.headers.map { HeaderField($0.name, $0.value) }
        recorder.upstreamHeaders(status: Int(response.status.code), headers: upstreamHeaders)
        var fields = HTTPFields()
        for (name, value) in HeaderPolicy.clientResponseHeaders(response.headers.map { ($0.name, $0.value) }) {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        let status = HTTPResponse.Status(code: Int(response.status.code), reasonPhrase: response.status.reasonPhrase)
        let tapSetup = (format: format, contentType: response.headers.first(name: "content-type"),
                        contentEncoding: response.headers.first(name: "content-encoding"))
        let captureLimit = context.captureLimit

        return Response(status: status, headers: fields, body: ResponseBody { writer in
            var tap = ResponseTap(format: tapSetup.format, contentType: tapSetup.contentType,
                                  contentEncoding: tapSetup.contentEncoding, captureLimit: captureLimit)
            var chunks = response.body.makeAsyncIterator()
            var first = true
            while true {
                let chunk: ByteBuffer?
                do {
                    chunk = try await chunks.next()
                } catch {
                    // Upstream broke off: end the client's response the same abrupt way.
                    await pump.finished()
                    tap.finish()
                    let failure = UpstreamFailure(error, upstream: provider.upstream, midStream: true)
                    await recorder.finish(tap: tap, failure: (failure.outcome, failure.message))
                    throw error
                }
                guard let chunk else { break }
                let arrived = ContinuousClock.now
                do {
                    try await writer.write(chunk)
                } catch {
                    // The client went away; leaving this loop drops the upstream request.
                    await pump.finished()
                    tap.finish()
                    await recorder.finish(tap: tap, failure: (.clientDisconnected, "client closed the connection mid-response"))
                    throw error
                }
                if first {
                    recorder.firstByte(arrived: arrived, written: .now, preUpstream: preUpstream)
                    first = false
                }
                tap.ingest(chunk)
                recorder.progress(tap)
            }
            await pump.finished()
            try await writer.finish(nil)
            tap.finish()
            await recorder.finish(tap: tap)
        })
    }

    /// `https://host/base` + `/v1/messages?beta=true`, keeping both parts byte for byte.
    static func join(_ base: URL, _ target: Substring) -> String {
        var root = base.absoluteString
        while root.hasSuffix("/") { root.removeLast() }
        return target.isEmpty ? root + "/" : root + target
    }
}

/// Moves the client's request body to upstream unchanged, handing each piece to the recorder.
///
/// Only this pump reads the client's body, and a response does not end before the pump has: once a
/// response is written Hummingbird drains what is left of the body, and two readers of one connection
/// collide. Upstream reads through a channel that hands over one chunk at a time (back-pressure).
struct RequestBodyPump: Sendable {
    let upstreamBody: AsyncThrowingChannel<ByteBuffer, any Error>
    private let task: Task<Void, Never>

    init(client: RequestBody, recorder: ExchangeRecorder, hasBody: Bool) {
        let channel = AsyncThrowingChannel<ByteBuffer, any Error>()
        upstreamBody = channel
        task = Task {
            if hasBody {
                do {
                    for try await chunk in client {
                        recorder.requestChunk(chunk)
                        await channel.send(chunk)
                    }
                } catch {
                    channel.fail(error)
                }
            }
            channel.finish()
            recorder.requestEnded()
        }
    }

    /// Stops feeding upstream (its answer is complete, or it is gone) and returns once the client's body
    /// has been read to its end.
    func finished() async {
        upstreamBody.finish()
        await task.value
    }
}
