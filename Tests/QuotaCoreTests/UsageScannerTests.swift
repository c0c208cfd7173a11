import Testing

@testable import QuotaCore

/// Sample upstream answers.
private enum Samples {
    static let openAIBody = #"""
        {"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"The \"prompt_tokens\": 999 are not usage"},"finish_reason":"stop"}],"usage":{"prompt_tokens": 1234,"completion_tokens":	56,"total_tokens":1290,"prompt_tokens_details":{"cached_tokens":7}}}
        """#

    static let openAIStream = """
        data: {"id":"c","choices":[{"delta":{"content":"Hi"}}],"usage":null}

        data: {"id":"c","choices":[{"delta":{"content":" input_tokens: 3"}}],"usage":null}

        data: {"id":"c","choices":[],"usage":{"prompt_tokens":17,"completion_tokens":42,"total_tokens":59}}

        data: [DONE]


        """

    static let anthropicStream = """
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_1","model":"claude-sonnet-4-5","usage":{"input_tokens":25,"cache_creation_input_tokens":900,"output_tokens":1}}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"{\\"output_tokens\\": 7}"}}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens": 315}}

        event: message_stop
        data: {"type":"message_stop"}


        """
}

@Suite("Token usage scanned from upstream answers")
struct UsageScannerTests {
    func scan(_ chunks: [[UInt8]]) -> UsageScanner {
        var scanner = UsageScanner()
        for chunk in chunks { scanner.consume(chunk) }
        return scanner
    }

    func scanWhole(_ text: String) -> UsageScanner {
        scan([Array(text.utf8)])
    }

    @Test func openAIBody() {
        let scanner = scanWhole(Samples.openAIBody)
        #expect(scanner.inputTokens == 1234)
        #expect(scanner.outputTokens == 56)
    }

    @Test func openAIStreamWithIncludeUsage() {
        let scanner = scanWhole(Samples.openAIStream)
        #expect(scanner.inputTokens == 17)
        #expect(scanner.outputTokens == 42)
    }

    @Test func anthropicStreamTakesTheLastOutputCount() {
        let scanner = scanWhole(Samples.anthropicStream)
        #expect(scanner.inputTokens == 25, "cache_creation_input_tokens is another key")
        #expect(scanner.outputTokens == 315, "message_delta's count replaces message_start's, escaped text is ignored")
    }

    @Test func anthropicBody() {
        let scanner = scanWhole(#"{"id":"msg","content":[{"type":"text","text":"hi"}],"usage":{"input_tokens":12,"output_tokens":3}}"#)
        #expect(scanner.inputTokens == 12 && scanner.outputTokens == 3)
    }

    /// Gemini's `usageMetadata`, in a body and in SSE events (each carrying the running counts),
    /// also split at every byte.
    @Test func geminiUsageMetadata() {
        let body = #"{"candidates":[{"content":{"parts":[{"text":"\"candidatesTokenCount\": 1"}]}}],"usageMetadata":{"promptTokenCount":31,"candidatesTokenCount":9,"cachedContentTokenCount":4,"thoughtsTokenCount":12}}"#
        let whole = scanWhole(body)
        #expect(whole.inputTokens == 31 && whole.outputTokens == 9)
        let stream = "data: {\"usageMetadata\":{\"promptTokenCount\":31,\"candidatesTokenCount\":2}}\r\n\r\n"
            + "data: {\"usageMetadata\":{\"promptTokenCount\":31,\"candidatesTokenCount\":17}}\r\n\r\n"
        let bytes = Array(stream.utf8)
        for split in 0...bytes.count {
            let scanner = scan([Array(bytes[..<split]), Array(bytes[split...])])
            #expect(scanner.inputTokens == 31 && scanner.outputTokens == 17, "split at \(split)")
        }
    }

    @Test func nothingFoundStaysNil() {
        let scanner = scanWhole(#"{"error":{"type":"rate_limit_error","message":"input_tokens exceeded"},"usage":{"input_tokens":null}}"#)
        #expect(scanner.inputTokens == nil && scanner.outputTokens == nil)
        #expect(UsageScanner().inputTokens == nil)
    }

    @Test func keysAsValuesOrInsideOtherKeysDoNotCount() {
        let scanner = scanWhole(#"{"a":"input_tokens","b":["output_tokens",5],"xinput_tokens":8,"input_tokensx":9,"prompt_tokens_details":{"cached_tokens":4}}"#)
        #expect(scanner.inputTokens == nil && scanner.outputTokens == nil)
    }

    @Test func prettyPrintedWhitespaceIsAllowed() {
        let scanner = scanWhole("{\n  \"usage\" : {\n    \"prompt_tokens\" :\n      8 ,\r\n    \"completion_tokens\"\t:\t9\n  }\n}\n")
        #expect(scanner.inputTokens == 8 && scanner.outputTokens == 9)
    }

    @Test func aTornStringIsForgottenAtTheNextLine() {
        let scanner = scanWhole("data: {\"text\":\"unterminated\ndata: {\"usage\":{\"prompt_tokens\":5}}\n")
        #expect(scanner.inputTokens == 5)
    }

    /// Every way of cutting each sample in two (and three) gives the same result as one chunk.
    @Test(arguments: [Samples.openAIBody, Samples.openAIStream, Samples.anthropicStream])
    func chunkSplitsAtEveryBytePosition(sample: String) {
        let bytes = Array(sample.utf8)
        let whole = scan([bytes])
        #expect(whole.inputTokens != nil && whole.outputTokens != nil)
        for cut in 0...bytes.count {
            let split = scan([Array(bytes[..<cut]), Array(bytes[cut...])])
            #expect(split == whole, "split at byte \(cut)")
        }
        for first in stride(from: 0, through: bytes.count, by: 7) {
            for second in stride(from: first, through: bytes.count, by: 5) {
                let split = scan([Array(bytes[..<first]), Array(bytes[first..<second]), Array(bytes[second...])])
                #expect(split.inputTokens == whole.inputTokens && split.outputTokens == whole.outputTokens, "split at \(first), \(second)")
            }
        }
        #expect(scan(bytes.map { [$0] }) == whole, "one byte at a time")
    }

    @Test func numbersSplitAcrossChunksAccumulate() {
        var scanner = UsageScanner()
        scanner.consume(Array(#"{"usage":{"input_tok"#.utf8))
        scanner.consume(Array(#"ens": 12"#.utf8))
        #expect(scanner.inputTokens == 12)
        scanner.consume(Array("34".utf8))
        #expect(scanner.inputTokens == 1234)
        scanner.consume(Array(#","output_tokens":9}}"#.utf8))
        #expect(scanner.inputTokens == 1234 && scanner.outputTokens == 9)
    }

    @Test func absurdNumbersDoNotOverflow() {
        let scanner = scanWhole(#"{"prompt_tokens":99999999999999999999999999999,"completion_tokens":1}"#)
        #expect(scanner.inputTokens != nil && scanner.outputTokens == 1)
    }
}
