import Foundation

/// What one response said about the caller's rate limits, read from its headers (every provider) or
/// from Codex's `codex.rate_limits` event (its WebSocket sends no headers per response). The headers
/// themselves stay on the exchange as received; this is their reading.
///
/// Families, each read by prefix so a window the provider adds later is read too:
/// - `anthropic-ratelimit-unified-<window>-{utilization,reset,status,surpassed-threshold}` (a Claude
///   plan; `5h` → `five_hour`), with `-status`, `-reset`, `-representative-claim` for the binding window;
/// - `anthropic-ratelimit-<kind>-{limit,remaining,reset}` (an API key; reset in RFC 3339);
/// - `x-ratelimit-{limit,remaining,reset}[-<kind>]` (OpenAI, DeepSeek, Moonshot, OpenRouter; reset as
///   a duration `6m0s`, seconds, or an epoch);
/// - `x-codex[-<limit>]-{primary,secondary}-{used-percent,window-minutes,reset-at,reset-after-seconds}`
///   (Codex on a ChatGPT plan), as codex-rs `rate_limits.rs` reads them;
/// - `retry-after`.
package struct RateLimitReading: Sendable, Codable, Equatable {
    package var windows: [RateLimitWindow] = []
    /// The window that binds now: Anthropic's representative claim, else the most used window.
    package var binding: String?
    /// The overall verdict when the provider gives one (`allowed`, `allowed_warning`, `rejected`).
    package var status: String?
    /// Seconds to wait, from `retry-after`.
    package var retryAfter: Double?
    /// Other plan facts, by header suffix (`overage-status`, `fallback-percentage`, `active-limit`, …).
    package var notes: [String: String] = [:]

    package init() {}

    package var isEmpty: Bool { windows.isEmpty && status == nil && retryAfter == nil }

    package func window(_ name: String) -> RateLimitWindow? { windows.first { $0.name == name } }

    /// The header families a reading is made of; every other header is passed over without a copy
    /// (a response carries a dozen others, and /metrics and the history read each response).
    static let families = ["anthropic-ratelimit-", "x-ratelimit-", "x-codex-", "retry-after"].map { Array($0.utf8) }

    /// The value without the spaces and tabs around it (Foundation's trimming bridges to NSString: a
    /// third of a reading's cost).
    static func trimmed(_ value: String) -> String {
        let utf8 = value.utf8
        func blank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        guard let first = utf8.firstIndex(where: { !blank($0) }), let last = utf8.lastIndex(where: { !blank($0) }) else { return "" }
        if first == utf8.startIndex && utf8.index(after: last) == utf8.endIndex { return value }
        return String(value[first...last])
    }

    static func isRead(_ name: String) -> Bool {
        let utf8 = name.utf8
        return families.contains { prefix in
            utf8.count >= prefix.count && zip(utf8, prefix).allSatisfy { $0 | 0x20 == $1 }  // ASCII letters to lower case
        }
    }

    /// `headers` of a response that arrived at `at` (relative resets count from then); nil when none
    /// speaks of rate limits.
    package init?(headers: [HeaderField], at: Date) {
        var unified: [String: [String: String]] = [:]
        var counted: [String: [String: String]] = [:]
        var codex: [String: [String: String]] = [:]
        for header in headers where Self.isRead(header.name) {
            let name = header.name.lowercased()
            let value = Self.trimmed(header.value)
            if let rest = name.dropPrefix("anthropic-ratelimit-unified-") {
                if let (window, field) = Self.split(rest, fields: ["utilization", "reset", "status", "surpassed-threshold"]) {
                    unified[window, default: [:]][field] = value
                } else {
                    notes[rest] = value
                }
            } else if let rest = name.dropPrefix("anthropic-ratelimit-") {
                if let (kind, field) = Self.split(rest, fields: ["limit", "remaining", "reset"]) {
                    counted[kind.replacingOccurrences(of: "-", with: "_"), default: [:]][field] = value
                }
            } else if let rest = name.dropPrefix("x-ratelimit-") {
                for field in ["limit", "remaining", "reset"] {
                    if rest == field { counted["default", default: [:]][field] = value }
                    if let kind = rest.dropPrefix(field + "-") { counted[kind.replacingOccurrences(of: "-", with: "_"), default: [:]][field] = value }
                }
            } else if let rest = name.dropPrefix("x-codex-") {
                if let (window, field) = Self.split(rest, fields: ["used-percent", "window-minutes", "reset-at", "reset-after-seconds"]) {
                    let limit = window.hasSuffix("primary") || window.hasSuffix("secondary") ? window : nil
                    if let limit { codex[Self.codexName(limit), default: [:]][field] = value }
                } else if Self.codexNotes.contains(rest) || rest.hasPrefix("credits-") || rest.hasSuffix("-limit-name") {
                    notes[rest] = value
                }
            } else if name == "retry-after" {
                retryAfter = Double(value) ?? Self.httpDate(value).map { max(0, $0.timeIntervalSince(at)) }
            }
        }
        status = notes.removeValue(forKey: "status")
        let claim = notes.removeValue(forKey: "representative-claim")
        let bindingReset = notes.removeValue(forKey: "reset")
        for (window, fields) in unified.sorted(by: { $0.key < $1.key }) {
            let name = Self.windowName(window)
            let used = fields["utilization"].flatMap(Double.init).flatMap { $0.isFinite ? $0 : nil }
            let reset = fields["reset"].flatMap(Double.init).map { Date(timeIntervalSince1970: $0) }
            // A window with only a status (`overage-status`) is a note, not a window.
            guard used != nil || reset != nil else {
                fields.forEach { notes["\(window)-\($0.key)"] = $0.value }
                continue
            }
            windows.append(RateLimitWindow(name: name, used: used, resetsAt: reset, status: fields["status"],
                                           seconds: Self.windowSeconds(window)))
            if let threshold = fields["surpassed-threshold"] { notes["\(name)-surpassed-threshold"] = threshold }
        }
        if let claim {
            binding = claim
            if let index = windows.firstIndex(where: { $0.name == claim }), windows[index].resetsAt == nil {
                windows[index].resetsAt = bindingReset.flatMap(Double.init).map { Date(timeIntervalSince1970: $0) }
            }
        }
        for (kind, fields) in counted.sorted(by: { $0.key < $1.key }) {
            let limit = fields["limit"].flatMap(Double.init), remaining = fields["remaining"].flatMap(Double.init)
            var window = RateLimitWindow(name: kind, limit: limit, remaining: remaining)
            if let limit, let remaining, limit > 0, limit.isFinite, remaining.isFinite { window.used = 1 - remaining / limit }
            window.resetsAt = fields["reset"].flatMap { Self.resetTime($0, at: at) }
            windows.append(window)
        }
        for (name, fields) in codex.sorted(by: { $0.key < $1.key }) {
            guard let percent = fields["used-percent"].flatMap(Double.init), percent.isFinite else { continue }
            let minutes = fields["window-minutes"].flatMap(Double.init)
            let reset = fields["reset-at"].flatMap(Double.init).map { Date(timeIntervalSince1970: $0) }
                ?? fields["reset-after-seconds"].flatMap(Double.init).map { at.addingTimeInterval($0) }
            windows.append(RateLimitWindow(name: name, used: percent / 100, resetsAt: reset, seconds: minutes.map { $0 * 60 }))
        }
        if binding == nil { binding = mostUsed }
        if isEmpty && notes.isEmpty { return nil }
    }

    /// Codex's in-stream reading: `{"type":"codex.rate_limits","rate_limits":{"primary":{"used_percent":…,
    /// "window_minutes":…,"reset_at":…},"secondary":…},"metered_limit_name":…}`.
    package init?(codexEvent object: JSONObject, at: Date) {
        guard object.string("type") == "codex.rate_limits", let limits = object.object("rate_limits") else { return nil }
        let limit = (object.string("metered_limit_name") ?? object.string("limit_name")).map { $0.lowercased().replacingOccurrences(of: "-", with: "_") }
        for side in ["primary", "secondary"] {
            guard let window = limits.object(side), let percent = window.double("used_percent"), percent.isFinite else { continue }
            let reset = window.double("reset_at").map { Date(timeIntervalSince1970: $0) }
                ?? window.double("reset_after_seconds").map { at.addingTimeInterval($0) }
            let name = limit == nil || limit == "codex" ? side : "\(limit!).\(side)"
            windows.append(RateLimitWindow(name: name, used: percent / 100, resetsAt: reset,
                                           seconds: window.double("window_minutes").map { $0 * 60 }))
        }
        if let plan = object.string("plan_type") { notes["plan-type"] = plan }
        binding = mostUsed
        if windows.isEmpty { return nil }
    }

    /// The window that binds when the provider does not say: the most used.
    var mostUsed: String? { windows.filter { $0.used != nil }.max { $0.used! < $1.used! }?.name }

    /// Whether `window` refused the response it came with (`status` its HTTP status): by its own
    /// `rejected`, or as the binding or an exhausted window of a 429 or an overall `rejected`.
    package func refused(by window: RateLimitWindow, status: Int?) -> Bool {
        let refused = status == 429 || self.status == "rejected"
        return window.status == "rejected" || (refused && (window.name == binding || window.exhausted))
    }

    /// This reading with `newer`'s windows laid over it (a stream's event is fresher than the headers).
    package func merged(with newer: RateLimitReading?) -> RateLimitReading {
        guard let newer else { return self }
        var out = self
        for window in newer.windows {
            if let index = out.windows.firstIndex(where: { $0.name == window.name }) { out.windows[index] = window } else { out.windows.append(window) }
        }
        out.binding = newer.binding ?? out.binding
        out.status = newer.status ?? out.status
        out.notes.merge(newer.notes) { $1 }
        return out
    }

    // MARK: Reading the values

    /// Codex's plan facts beside its windows (its other `x-codex-*` headers are turn state and ids).
    static let codexNotes: Set<String> = ["active-limit", "rate-limit-reached-type", "plan-type", "promo-message"]

    /// `rest` as `<window>-<field>` for one of `fields` (a field may hold a dash itself).
    static func split(_ rest: String, fields: [String]) -> (String, String)? {
        for field in fields where rest.hasSuffix("-" + field) && rest.count > field.count + 1 {
            return (String(rest.dropLast(field.count + 1)), field)
        }
        return nil
    }

    /// `5h` → `five_hour`, `7d_opus` → `seven_day_opus`: the names Anthropic's representative claim uses.
    static func windowName(_ window: String) -> String {
        let head = window.prefix { $0 != "_" }
        let tail = window.dropFirst(head.count)
        guard let unit = head.last, let count = Int(head.dropLast()), let word = numberWords[count] else { return window }
        switch unit {
        case "h": return "\(word)_hour" + tail
        case "d": return "\(word)_day" + tail
        default: return window
        }
    }

    static let numberWords = [1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine",
                              10: "ten", 12: "twelve", 14: "fourteen", 24: "twenty_four", 30: "thirty"]

    static func windowSeconds(_ window: String) -> Double? {
        let head = window.prefix { $0 != "_" }
        guard let unit = head.last, let count = Double(head.dropLast()) else { return nil }
        return unit == "h" ? count * 3600 : unit == "d" ? count * 86400 : nil
    }

    /// `x-codex-primary-…` → `primary`; another metered limit, `x-codex-bengalfox-primary-…` →
    /// `codex_bengalfox.primary`.
    static func codexName(_ window: String) -> String {
        let side = window.hasSuffix("secondary") ? "secondary" : "primary"
        let limit = window.dropLast(side.count).trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return limit.isEmpty ? side : "codex_\(limit.replacingOccurrences(of: "-", with: "_")).\(side)"
    }

    /// A reset as a time: RFC 3339, an epoch (seconds or milliseconds), seconds from now, or a duration
    /// like `6m0s`, `1h2m3.5s`, `20ms`.
    static func resetTime(_ value: String, at: Date) -> Date? {
        if let number = Double(value), number.isFinite, number >= 0 {
            if number > 1e12 { return Date(timeIntervalSince1970: number / 1000) }
            if number > 1e9 { return Date(timeIntervalSince1970: number) }
            return at.addingTimeInterval(number)
        }
        if let date = rfc3339(value) { return date }
        return duration(value).map { at.addingTimeInterval($0) }
    }

    static func duration(_ text: String) -> Double? {
        var total = 0.0, number = "", rest = Substring(text)
        guard !rest.isEmpty else { return nil }
        while let c = rest.first {
            if c.isNumber || c == "." {
                number.append(c)
                rest = rest.dropFirst()
                continue
            }
            guard let value = Double(number) else { return nil }
            let unit: Double
            if rest.hasPrefix("ms") { unit = 0.001; rest = rest.dropFirst(2) }
            else if c == "h" { unit = 3600; rest = rest.dropFirst() }
            else if c == "m" { unit = 60; rest = rest.dropFirst() }
            else if c == "s" { unit = 1; rest = rest.dropFirst() }
            else { return nil }
            total += value * unit
            number = ""
        }
        return number.isEmpty ? total : nil
    }

    static func rfc3339(_ text: String) -> Date? {
        guard text.count >= 20, text.count <= 40 else { return nil }
        return (try? Date(text, strategy: .iso8601)) ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }

    static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }
}

/// One window of a rate limit as a response reported it.
package struct RateLimitWindow: Sendable, Codable, Equatable {
    /// `five_hour`, `seven_day`, `seven_day_opus`, `primary`, `requests`, `tokens`, `input_tokens`, …
    package var name: String
    /// Fraction used; can pass 1 (a plan's window used beyond its nominal size).
    package var used: Double?
    package var resetsAt: Date?
    /// The provider's word for it (`allowed`, `allowed_warning`, `rejected`).
    package var status: String?
    package var limit: Double?
    package var remaining: Double?
    /// The window's length, when the provider says or its name does.
    package var seconds: Double?

    package init(name: String, used: Double? = nil, resetsAt: Date? = nil, status: String? = nil, limit: Double? = nil,
                remaining: Double? = nil, seconds: Double? = nil) {
        self.name = name
        self.used = used
        self.resetsAt = resetsAt
        self.status = status
        self.limit = limit
        self.remaining = remaining
        self.seconds = seconds
    }

    /// Used up, by the provider's word or the count.
    package var exhausted: Bool { status == "rejected" || (used ?? 0) >= 1 }
}

private extension String {
    func dropPrefix(_ prefix: String) -> String? {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil
    }
}
