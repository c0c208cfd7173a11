import Testing

@testable import QuotaTranslation

@Suite struct GeminiSchemaTests {
    @Test func cleansWhatGeminiRejects() {
        let schema = json(##"""
        {"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"x","type":"object",
         "$defs":{"Point":{"type":"object","properties":{"x":{"type":"number"},"y":{"type":"number"}},"required":["x","y"]},
                  "Node":{"type":"object","properties":{"child":{"$ref":"#/$defs/Node"},"name":{"type":"string"}}}},
         "properties":{
           "where":{"$ref":"#/$defs/Point","description":"the spot"},
           "tree":{"$ref":"#/$defs/Node"},
           "mode":{"const":"fast"},
           "level":{"enum":[1,2,3],"type":"integer"},
           "tags":{"type":"array","items":{"type":"string","pattern":"^[a-z]+$"},"minItems":1,"uniqueItems":true},
           "maybe":{"type":["string","null"],"format":"date-time"},
           "either":{"oneOf":[{"type":"string"},{"type":"integer"}]},
           "merged":{"allOf":[{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]},
                              {"properties":{"b":{"type":"boolean"}},"required":["b"]}]},
           "extra":{"type":"object","additionalProperties":{"type":"string"},"x-internal":true,"propertyNames":{"pattern":"^x"}},
           "anything":true,
           "$ref":{"type":"string","description":"a property may be called $ref"}
         },
         "required":["where","ghost"],
         "additionalProperties":false,
         "if":{"properties":{"mode":{"const":"fast"}}},"then":{"required":["level"]}}
        """##)
        let cleaned = GeminiSchema.clean(schema)
        expectJSON(Array(cleaned.serialized.utf8), #"""
        {"type":"object","properties":{
          "where":{"type":"object","properties":{"x":{"type":"number"},"y":{"type":"number"}},"required":["x","y"],"description":"the spot"},
          "tree":{"type":"object","properties":{"child":{"type":"object","description":"(a Node value; its schema is recursive or not inlined)"},"name":{"type":"string"}}},
          "mode":{"enum":["fast"],"type":"string"},
          "level":{"enum":["1","2","3"],"type":"string"},
          "tags":{"type":"array","items":{"type":"string","description":"(pattern: ^[a-z]+$)"},"description":"(minItems: 1; uniqueItems: true)"},
          "maybe":{"type":"string","nullable":true,"description":"(format: date-time)"},
          "either":{"type":"string","description":"(one of: string | integer)"},
          "merged":{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"boolean"}},"required":["a","b"]},
          "extra":{"type":"object"},
          "anything":{"type":"string"},
          "$ref":{"type":"string","description":"a property may be called $ref"}
         },
         "required":["where"]}
        """#)
    }

    @Test func unknownReferencesAndDeepRecursionEnd() {
        let cleaned = GeminiSchema.clean(json(#"{"type":"object","properties":{"a":{"$ref":"https://example.com/other.json"}}}"#))
        #expect(cleaned["properties"]?["a"]?["type"] == .string("object"))
        // Mutual recursion is cut off, not followed forever.
        let mutual = json(##"{"$defs":{"A":{"type":"object","properties":{"b":{"$ref":"#/$defs/B"}}},"B":{"type":"object","properties":{"a":{"$ref":"#/$defs/A"}}}},"$ref":"#/$defs/A"}"##)
        let result = GeminiSchema.clean(mutual)
        #expect(result["properties"]?["b"]?["properties"]?["a"]?["description"] != nil)
    }

    @Test func geminiSchemasBecomeJSONSchema() {
        let converted = GeminiSchema.toJSONSchema(json(#"{"type":"OBJECT","propertyOrdering":["a"],"properties":{"a":{"type":"STRING","nullable":true,"example":"x"},"b":{"type":"ARRAY","items":{"type":"INTEGER"}}}}"#))
        expectJSON(Array(converted.serialized.utf8),
                   #"{"type":"object","properties":{"a":{"type":["string","null"]},"b":{"type":"array","items":{"type":"integer"}}}}"#)
    }

    @Test func declarationsWithoutParametersOmitThem() throws {
        let body = #"{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"now","parameters":{"type":"object","properties":{}}}}]}"#
        let result = try #require(translate(body, from: .openAI, to: .gemini, parameters("m")))
        #expect(json(result.body)["tools"] == json(#"[{"functionDeclarations":[{"name":"now"}]}]"#))
    }
}
