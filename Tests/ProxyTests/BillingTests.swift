import Proxy
import Testing

@Suite struct BillingTests {
    @Test func signInRoutesAreSubscriptions() {
        #expect(Billing.of(provider: "code-assist", headers: [("Authorization", "Bearer ya29.a0AfH6")]) == .subscription)
        #expect(Billing.of(provider: "chatgpt", headers: []) == .subscription)
        #expect(Billing.of(provider: "gemini", headers: [("x-goog-api-key", "AIzaSy-abc")]) == .perToken)
        #expect(Billing.of(provider: "openai", headers: [("Authorization", "Bearer sk-proj-abc")]) == .perToken)
    }

    @Test func claudeCodeSignedInToAPlanIsASubscription() {
        // Claude Code with Pro/Max: its OAuth token as a bearer, and the OAuth beta.
        #expect(Billing.of(provider: "anthropic", headers: [("authorization", "Bearer sk-ant-oat01-xyz")]) == .subscription)
        #expect(Billing.of(provider: "anthropic", headers: [("anthropic-beta", "claude-code-20250219,oauth-2025-04-20")]) == .subscription)
        // With an API key (or a gateway's bearer), per token.
        #expect(Billing.of(provider: "anthropic", headers: [("x-api-key", "sk-ant-api03-xyz"),
                                                            ("anthropic-beta", "claude-code-20250219")]) == .perToken)
        #expect(Billing.of(provider: "anthropic", headers: [("Authorization", "Bearer gateway-token")]) == .perToken)
    }
}

@Suite struct BillingShareTests {
    @Test func aCostIsAllPartOrNoneAPIEquivalent() {
        #expect(Billing.share(of: 0.5, apiEquivalent: 0) == .none)
        #expect(Billing.share(of: 0.3, apiEquivalent: 0.1 + 0.2) == .all)  // summed in another order, still all of it
        #expect(Billing.share(of: 0.5, apiEquivalent: 0.25) == .part)
    }
}
