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
    let client: HTTPClient

    public init(context: ProxyContext, client: HTTPClient) {
        self.context = context
        self.client = client
    }

    public func forward(_ request: Request, to provider: Provider, target: Substring) async -> Response {
        let started = ContinuousClock.now
        let pairs = request.headers.map { ($0.name.rawName, $0.value) }
        let format = WireFormatKind.detect(path: target)
        var exchange = Exchange(
            id: ExchangeID.make(), startedAt: Date(), provider: provider, method: request.method.rawValue,
            target: SecretRedaction.redact(target: String(target)), format: format,
            userAgent: request.headers[.userAgent],
            requestHeaders: SecretRedaction.redact(pairs).map { HeaderField($0.0, $0.1) })
        exchange.runID = context.runID
        let recorder = ExchangeRecorder(exchange: exchange, started: started, context: context)

        var upstream = HTTPClientRequest(url: Self.join(provider.upstream, target))
        upstream.method = HTTPMethod(rawValue: request.method.rawValue)
        upstream.headers = HTTPHeaders(HeaderPolicy.upstreamRequestHeaders(pairs))
        if let length = request.headers[.contentLength].flatMap(Int64.init) {
            upstream.body = .stream(RequestBodyTee(base: request.body, recorder: recorder), length: .known(length))
        } else if request.headers[.transferEncoding] != nil {
            upstream.body = .stream(RequestBodyTee(base: request.body, recorder: recorder), length: .unknown)
        } else {
            recorder.requestEnded()
        }

        let response: HTTPClientResponse
        let preUpstream = ContinuousClock.now - started
        do {
            response = try await client.execute(upstream, deadline: .distantFuture, logger: context.logger)
        } catch {
            let failure = UpstreamFailure(error, upstream: provider.upstream)
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

/// Streams the client's request body upstream unchanged and hands each piece to the recorder.
struct RequestBodyTee: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let base: RequestBody
    let recorder: ExchangeRecorder

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: RequestBody.AsyncIterator
        let recorder: ExchangeRecorder

        mutating func next() async throws -> ByteBuffer? {
            guard let chunk = try await base.next() else {
                recorder.requestEnded()
                return nil
            }
            recorder.requestChunk(chunk)
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), recorder: recorder)
    }
}
