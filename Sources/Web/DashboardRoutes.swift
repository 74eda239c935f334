import Exporters
import Foundation
import Hummingbird
import Proxy

/// The dashboard and its JSON API, behind `DashboardAccess`.
package struct Dashboard: Sendable {
    let access: DashboardAccess
    let bus: ExchangeBus
    let recent: RecentExchanges
    let history: HistoryStore?
    let prices: PriceTable
    let budgets: Budgets
    /// Claude Code's session titles, remembered between the dashboard's requests.
    let titles = SessionTitles()

    package init(access: DashboardAccess, bus: ExchangeBus, recent: RecentExchanges, history: HistoryStore?, prices: PriceTable, budgets: Budgets = Budgets()) {
        self.access = access
        self.bus = bus
        self.recent = recent
        self.history = history
        self.prices = prices
        self.budgets = budgets
    }

    package func register(on router: Router<BasicRequestContext>) {
        let group = router.group("").add(middleware: DashboardAccessMiddleware(access))
        group.get("") { _, _ in try Self.asset("index.html") }
        group.get("assets/:file") { _, context in try Self.asset(try context.parameters.require("file")) }

        let api = router.group("api").add(middleware: DashboardAccessMiddleware(access))
        api.get("exchanges") { request, _ -> Response in
            let q = request.uri.queryParameters
            let limit = min(max(q.get("limit", as: Int.self) ?? 200, 1), 1000)
            let (session, model, client, before) = (q.get("session"), q.get("model"), q.get("client"), q.get("before"))
            return try await answer { try JSONResponse.encode(try rows(limit: limit, session: session, model: model, client: client, before: before)) }
        }
        api.get("exchanges/:id") { _, context -> Response in
            let id = try context.parameters.require("id")
            return try await answer {
                guard let exchange = try recent.exchange(id: id).flatMap({ $0.phase == .finished ? nil : $0 }) ?? history?.exchange(id: id)
                        ?? recent.exchange(id: id) else {
                    return JSONResponse.error(.notFound, "no exchange \(id)")
                }
                return JSONResponse.data(try RequestView.json(exchange))
            }
        }
        api.get("exchanges/:id/context") { _, context -> Response in
            let id = try context.parameters.require("id")
            return try await answer {
                guard let exchange = try history?.exchange(id: id) ?? recent.exchange(id: id) else { return JSONResponse.error(.notFound, "no exchange \(id)") }
                return try JSONResponse.encode(ContextBreakdown.of(exchange))
            }
        }
        api.get("exchanges/:id/diff/:other") { _, context -> Response in
            // The two requests in time order, compared by the cache report's own prefix rule.
            let ids = [try context.parameters.require("id"), try context.parameters.require("other")].sorted()
            return try await answer {
                let found = try ids.map { try history?.exchange(id: $0) ?? recent.exchange(id: $0) }
                guard let older = found[0], let newer = found[1] else { return JSONResponse.error(.notFound, "no exchange \(ids.joined(separator: " or "))") }
                guard let before = older.conversation, let after = newer.conversation else {
                    return JSONResponse.error(.unprocessableContent, "one of the two request bodies is not JSON; nothing to compare")
                }
                return try JSONResponse.encode(PromptDiff(older: before, newer: after))
            }
        }
        api.get("exchanges/:id/cache") { _, context -> Response in
            // This exchange's verdict, judged against the earlier turns of its session.
            let id = try context.parameters.require("id")
            return try await answer {
                guard let history, let exchange = try history.exchange(id: id), let session = exchange.sessionID else {
                    return JSONResponse.error(.notFound, "no session history for \(id)")
                }
                let report = try history.cacheReport(session: session, prices: prices, through: id, limit: 200)
                guard let event = report.events.first(where: { $0.exchangeID == id }) else { return JSONResponse.error(.notFound, "no usage to judge") }
                return try JSONResponse.encode(event)
            }
        }
        api.get("sessions/:key/cache") { _, context -> Response in
            let key = try context.parameters.require("key")
            return try await answer {
                guard let history else { return JSONResponse.error(.notFound, "no history") }
                return try JSONResponse.encode(try history.cacheReport(session: key, prices: prices, limit: 1000))
            }
        }
        api.get("sessions/:key/agents") { _, context -> Response in
            let key = try context.parameters.require("key")
            return try await answer {
                guard let history else { return JSONResponse.error(.notFound, "no history") }
                return try JSONResponse.encode(try history.agentTree(session: key, limit: 5000))
            }
        }
        api.get("sessions") { request, _ -> Response in
            let limit = min(max(request.uri.queryParameters.get("limit", as: Int.self) ?? 100, 1), 1000)
            return try await answer { try JSONResponse.encode(try history?.sessions(limit: limit, titles: titles) ?? []) }
        }
        api.get("sessions/:key") { _, context -> Response in
            let key = try context.parameters.require("key")
            return try await answer {
                guard let session = try history?.session(key, titles: titles) else { return JSONResponse.error(.notFound, "no session \(key)") }
                return try JSONResponse.encode(session)
            }
        }
        api.get("usage") { request, _ -> Response in
            let q = request.uri.queryParameters
            guard let grouping = UsageGrouping(rawValue: q.get("by") ?? "model") else {
                return JSONResponse.error(.badRequest, "by must be one of \(UsageGrouping.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let since = q.get("since", as: Double.self).map { Date(timeIntervalSince1970: $0) }
            return try await answer {
                let rows = try history?.usage(by: grouping, since: since) ?? []
                return try JSONResponse.encode(UsageAnswer(by: grouping.rawValue, rows: rows, total: UsageRow.sum(rows, group: "total")))
            }
        }
        api.get("facets") { _, _ -> Response in
            try await answer {
                let (models, clients) = try history?.facets() ?? ([], [])
                return try JSONResponse.encode(["models": models, "clients": clients])
            }
        }
        api.get("limits") { _, _ -> Response in
            try await answer { try JSONResponse.encode(try history?.limitReport(budgets: budgets) ?? LimitReport(generatedAt: Date(), windows: [])) }
        }
        api.get("live") { _, _ in LiveFeed(bus: bus, history: history).response() }
    }

    /// Does a route's work on the reading threads. The routes are called on the forwarding loops, and a
    /// history read or a report there would hold up every stream those loops serve.
    func answer(_ work: @escaping @Sendable () throws -> Response) async throws -> Response {
        try await OffLoopExecutor.reading.run(work)
    }

    /// Stored rows, with what this process knows better (in-flight progress) laid over them.
    func rows(limit: Int, session: String?, model: String?, client: String?, before: String?) throws -> [ExchangeRow] {
        var rows = try history?.recent(limit: limit, session: session, model: model, client: client, before: before) ?? []
        let live = recent.list(limit: 1000).filter { exchange in
            (session == nil || exchange.sessionKey == session)
                && (model == nil || exchange.model == model) && (client == nil || exchange.client == client)
                && (before == nil || exchange.id < before!)
        }
        var index = Dictionary(uniqueKeysWithValues: rows.enumerated().map { ($1.id, $0) })
        for exchange in live {
            let row = ExchangeRow(exchange)
            if let at = index[exchange.id] {
                if rows[at].phase != "finished" { rows[at] = ExchangeRow(exchange).keepingSession(rows[at].sessionKey) }
            } else {
                index[exchange.id] = rows.count
                rows.append(row)
            }
        }
        return Array(rows.sorted { $0.id > $1.id }.prefix(limit))
    }

    static func asset(_ name: String) throws -> Response {
        guard !name.contains("/"), !name.hasPrefix("."), let url = BundledResources.url(target: "Web", path: "Assets/\(name)"),
              let data = try? Data(contentsOf: url) else {
            return JSONResponse.error(.notFound, "no asset \(name)")
        }
        let type: String
        switch url.pathExtension {
        case "html": type = "text/html; charset=utf-8"
        case "js": type = "text/javascript; charset=utf-8"
        case "css": type = "text/css; charset=utf-8"
        case "svg": type = "image/svg+xml"
        default: type = "application/octet-stream"
        }
        return Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache",
                                               .contentSecurityPolicy: "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

struct UsageAnswer: Encodable {
    var by: String
    var rows: [UsageRow]
    var total: UsageRow
}

extension ExchangeRow {
    func keepingSession(_ key: String) -> ExchangeRow {
        var row = self
        if !key.isEmpty { row.sessionKey = key }
        return row
    }
}
