import Foundation
import Testing
@testable import QuotaCore

@Suite struct ModelGroupNormalizerTests {
    let normalizer = ModelGroupNormalizer.default

    @Test func defaultTableFoldsVariantsIntoTheirGroup() {
        #expect(normalizer.group(for: "claude-sonnet-4-5-thinking") == "claude-sonnet-4-5")
        #expect(normalizer.group(for: "claude-opus-4-5-thinking") == "claude-sonnet-4-5")
        #expect(normalizer.group(for: "claude-sonnet-4-5") == "claude-sonnet-4-5")
        #expect(normalizer.group(for: "gemini-3-pro-low") == "gemini-3-pro-high")
        #expect(normalizer.group(for: "gemini-3-pro-high") == "gemini-3-pro-high")
        #expect(normalizer.group(for: "gemini-3-flash") == "gemini-3-flash")
    }

    @Test func unlistedModelFallsBackToItsOwnName() {
        #expect(normalizer.group(for: "gpt-4o-mini") == "gpt-4o-mini")
        #expect(!normalizer.isListed("gpt-4o-mini"))
        #expect(normalizer.isListed("gemini-3-pro-low"))
        // exact, case-sensitive
        #expect(normalizer.group(for: "Claude-Sonnet-4-5-Thinking") == "Claude-Sonnet-4-5-Thinking")
    }

    @Test func builtFromConfiguration() {
        var config = QuotaProxyConfiguration()
        config.modelGroups = ["gpt-4o": ["gpt-4o-2024-08-06", "chatgpt-4o-latest"]]
        let custom = ModelGroupNormalizer(configuration: config)
        #expect(custom.group(for: "chatgpt-4o-latest") == "gpt-4o")
        #expect(custom.group(for: "claude-sonnet-4-5-thinking") == "claude-sonnet-4-5-thinking")
        #expect(custom.models(inGroup: "gpt-4o") == ["gpt-4o", "chatgpt-4o-latest", "gpt-4o-2024-08-06"])
        #expect(custom.models(inGroup: "other") == ["other"])
    }

    @Test func conflictsResolveDeterministically() {
        // a member in two groups: alphabetically first group wins; a group name always maps to itself.
        let table = ModelGroupNormalizer(modelGroups: ["b-group": ["shared", "a-group"], "a-group": ["shared"]])
        #expect(table.group(for: "shared") == "a-group")
        #expect(table.group(for: "a-group") == "a-group")
        #expect(table.group(for: "b-group") == "b-group")
    }
}

@Suite struct ModelMatcherTests {
    let normalizer = ModelGroupNormalizer.default

    @Test func starMatchesEverything() {
        let matcher = ModelMatcher(monitoredModels: ["*"], normalizer: normalizer)
        #expect(matcher.matchesEverything)
        #expect(matcher.matches(model: "anything-at-all"))
        #expect(matcher.covers(group: "gpt-4o"))
    }

    @Test func groupEntryCoversItsVariants() {
        let matcher = ModelMatcher(monitoredModels: ["claude-sonnet-4-5"], normalizer: normalizer)
        #expect(matcher.matches(model: "claude-sonnet-4-5"))
        #expect(matcher.matches(model: "claude-sonnet-4-5-thinking"))
        #expect(matcher.matches(model: "claude-opus-4-5-thinking"))
        #expect(!matcher.matches(model: "gemini-3-pro-low"))
        #expect(!matcher.matches(model: "gpt-4o"))
    }

    @Test func memberEntryMatchesOnlyThatModelButCoversTheGroup() {
        let matcher = ModelMatcher(monitoredModels: ["claude-sonnet-4-5-thinking"], normalizer: normalizer)
        #expect(matcher.matches(model: "claude-sonnet-4-5-thinking"))
        #expect(!matcher.matches(model: "claude-sonnet-4-5"))
        #expect(matcher.covers(group: "claude-sonnet-4-5"))
        #expect(!matcher.covers(group: "gemini-3-pro-high"))
    }

    @Test func unlistedModelStillMatchesByName() {
        let matcher = ModelMatcher(monitoredModels: ["gpt-4o-mini"], normalizer: normalizer)
        #expect(matcher.matches(model: "gpt-4o-mini"))
        #expect(matcher.covers(group: "gpt-4o-mini"))
        #expect(!matcher.matches(model: "gpt-4o"))
    }

    @Test func emptyListMatchesNothing() {
        let matcher = ModelMatcher(monitoredModels: [], normalizer: normalizer)
        #expect(!matcher.matches(model: "claude-sonnet-4-5"))
        #expect(!matcher.covers(group: "claude-sonnet-4-5"))
    }

    @Test func patternParsing() {
        #expect(ModelPattern("*") == .any)
        #expect(ModelPattern("gpt-4o") == .name("gpt-4o"))
        #expect(ModelPattern("*").description == "*")
    }
}
