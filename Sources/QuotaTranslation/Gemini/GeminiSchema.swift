/// Moves JSON Schemas between full JSON Schema (OpenAI `parameters`, Anthropic `input_schema`,
/// `response_format.json_schema.schema`) and the OpenAPI subset Gemini accepts in
/// `functionDeclarations[].parameters` and `responseSchema`.
enum GeminiSchema {
    /// Keys Gemini accepts and the cleaner keeps (research notes §4.4.4, AM's whitelist plus
    /// `nullable`, which the cleaner itself produces from `null` branches).
    private static let kept: Set<String> = ["type", "description", "properties", "required", "items", "enum", "title", "nullable"]

    /// Constraint keywords Gemini rejects whose meaning is kept as a hint in `description`
    /// (research notes §4.4.4, CPA's list on the Code Assist path).
    private static let hinted: [String] = [
        "minLength", "maxLength", "exclusiveMinimum", "exclusiveMaximum", "pattern", "minItems", "maxItems",
        "uniqueItems", "format", "default", "examples", "minimum", "maximum", "multipleOf", "minProperties",
        "maxProperties",
    ]

    /// How deep `$ref`s are followed before a recursive schema is cut off.
    private static let maxDepth = 24

    /// A JSON Schema cleaned for Gemini (research notes §4.4.4):
    /// - local `$ref`s (`#/$defs/X`, `#/definitions/X`) are inlined; a recursive or unknown one
    ///   becomes a string with a hint;
    /// - `allOf` branches are merged; `anyOf`/`oneOf` keep their first non-null branch (the others
    ///   are named in `description`), a `null` branch becomes `nullable: true`;
    /// - `type: [t, "null"]` becomes `type: t, nullable: true`; `const` becomes a one-value `enum`;
    ///   `enum` values become strings (Gemini accepts only string enums);
    /// - constraint keywords (`minLength`, `pattern`, `format`, `default`, `minimum`…) move into
    ///   `description` as a hint; every other keyword (`$schema`, `$id`, `additionalProperties`,
    ///   `propertyNames`, `patternProperties`, `if`/`then`/`else`, `not`, `$comment`, `x-*`, …) is removed;
    /// - `required` keeps only names that are in `properties`.
    ///
    /// Only schema locations are cleaned, never tool-call arguments.
    static func clean(_ schema: JSON) -> JSON {
        var definitions: [String: JSON] = [:]
        collectDefinitions(schema, into: &definitions)
        var resolving: [String] = []
        return cleanNode(schema, definitions: definitions, resolving: &resolving, depth: 0)
    }

    private static func collectDefinitions(_ schema: JSON, into definitions: inout [String: JSON]) {
        guard case .object(let object) = schema else { return }
        for key in ["$defs", "definitions"] {
            if case .object(let defs)? = object[key] {
                for field in defs.fields where definitions[field.key] == nil {
                    definitions[field.key] = field.value
                    collectDefinitions(field.value, into: &definitions)
                }
            }
        }
    }

    private static func cleanNode(_ node: JSON, definitions: [String: JSON], resolving: inout [String], depth: Int) -> JSON {
        guard case .object(var object) = node else {
            // `true` / `{}`-like schemas accept anything; Gemini needs a type, a string is the safest.
            return .object(JSONObject([JSONField(key: "type", value: .string("string"))]))
        }
        // Inline a local reference, keeping sibling keys (a sibling description wins).
        if let reference = object["$ref"]?.stringValue {
            object.removeValue(forKey: "$ref")
            let name = reference.split(separator: "/").last.map(String.init) ?? reference
            let isLocal = reference.hasPrefix("#/$defs/") || reference.hasPrefix("#/definitions/")
            if isLocal, let target = definitions[name], !resolving.contains(name), depth < maxDepth,
                case .object(let targetObject) = target
            {
                var merged = targetObject
                for field in object.fields { merged[field.key] = field.value }
                resolving.append(name)
                let result = cleanNode(.object(merged), definitions: definitions, resolving: &resolving, depth: depth + 1)
                resolving.removeLast()
                return result
            }
            var fallback = JSONObject([JSONField(key: "type", value: .string("object"))])
            let existing = object["description"]?.stringValue
            fallback["description"] = .string(JSONText(joined(existing, "(a \(name) value; its schema is recursive or not inlined)")))
            return .object(fallback)
        }
        if depth > maxDepth * 2 {
            return .object(JSONObject([JSONField(key: "type", value: .string("object"))]))
        }

        // allOf: merge every branch into this node.
        if case .array(let branches)? = object.removeValue(forKey: "allOf") {
            for branch in branches {
                let cleaned = cleanNode(branch, definitions: definitions, resolving: &resolving, depth: depth + 1)
                guard case .object(let branchObject) = cleaned else { continue }
                merge(branchObject, into: &object)
            }
        }

        // anyOf / oneOf: a null branch becomes nullable, the first other branch is kept.
        var alternatives: [String] = []
        for key in ["anyOf", "oneOf"] {
            guard case .array(let branches)? = object.removeValue(forKey: key) else { continue }
            var chosen: JSONObject?
            for branch in branches {
                if case .object(let branchObject) = branch, branchObject["type"]?.stringValue == "null" {
                    object["nullable"] = .bool(true)
                    continue
                }
                let cleaned = cleanNode(branch, definitions: definitions, resolving: &resolving, depth: depth + 1)
                guard case .object(let cleanedObject) = cleaned else { continue }
                if chosen == nil {
                    chosen = cleanedObject
                } else {
                    alternatives.append(cleanedObject["type"]?.stringValue ?? "object")
                }
            }
            if let chosen {
                if !alternatives.isEmpty {
                    alternatives.insert(chosen["type"]?.stringValue ?? "object", at: 0)
                }
                merge(chosen, into: &object)
            }
        }

        // type: ["string", "null"] → "string" + nullable.
        if case .array(let types)? = object["type"] {
            let names = types.compactMap(\.stringValue)
            if names.contains("null") { object["nullable"] = .bool(true) }
            let nonNull = names.filter { $0 != "null" }
            object["type"] = .string(JSONText(nonNull.first ?? "string"))
            if nonNull.count > 1 { alternatives.append(contentsOf: nonNull) }
        }

        if let constant = object.removeValue(forKey: "const") {
            object["enum"] = .array([constant])
        }
        if case .array(let values)? = object["enum"] {
            object["enum"] = .array(values.map { value in
                if case .string = value { return value }
                return .string(JSONText(value.serialized))
            })
            object["type"] = .string("string")
        }

        // Hints for constraints Gemini does not take.
        var hints: [String] = []
        if !alternatives.isEmpty { hints.append("one of: " + alternatives.joined(separator: " | ")) }
        for key in hinted {
            if let value = object[key] {
                hints.append("\(key): \(value.stringValue ?? value.serialized)")
            }
        }

        var result = JSONObject()
        for field in object.fields where kept.contains(field.key) {
            switch field.key {
            case "properties":
                guard case .object(let properties) = field.value else { continue }
                var cleaned = JSONObject()
                cleaned.fields.reserveCapacity(properties.count)
                for property in properties.fields {
                    cleaned.fields.append(JSONField(
                        key: property.key,
                        value: cleanNode(property.value, definitions: definitions, resolving: &resolving, depth: depth + 1)))
                }
                result.fields.append(JSONField(key: "properties", value: .object(cleaned)))
            case "items":
                var items = field.value
                if case .array(let tuple) = items { items = tuple.first ?? .object(JSONObject()) }
                result.fields.append(JSONField(
                    key: "items", value: cleanNode(items, definitions: definitions, resolving: &resolving, depth: depth + 1)))
            case "type":
                if case .string(let type) = field.value {
                    result.fields.append(JSONField(key: "type", value: .string(type)))
                }
            default:
                result.fields.append(field)
            }
        }
        if !hints.isEmpty {
            let existing = result["description"]?.stringValue
            result["description"] = .string(JSONText(joined(existing, "(" + hints.joined(separator: "; ") + ")")))
        }
        if result["type"] == nil {
            if result["properties"] != nil {
                result["type"] = .string("object")
            } else if result["items"] != nil {
                result["type"] = .string("array")
            }
        }
        // `required` may only name declared properties.
        if case .array(let required)? = result["required"] {
            let declared = result["properties"]?.objectValue
            let filtered = required.filter { name in
                guard let name = name.stringValue else { return false }
                return declared?[name] != nil
            }
            result["required"] = filtered.isEmpty ? nil : .array(filtered)
        }
        return .object(result)
    }

    private static func merge(_ branch: JSONObject, into object: inout JSONObject) {
        for field in branch.fields {
            switch field.key {
            case "properties":
                if case .object(var properties)? = object["properties"], case .object(let more) = field.value {
                    for property in more.fields { properties[property.key] = property.value }
                    object["properties"] = .object(properties)
                } else {
                    object["properties"] = field.value
                }
            case "required":
                if case .array(let required)? = object["required"], case .array(let more) = field.value {
                    object["required"] = .array(required + more.filter { !required.contains($0) })
                } else {
                    object["required"] = field.value
                }
            case "description":
                if object["description"] == nil { object["description"] = field.value }
            default:
                if object[field.key] == nil { object[field.key] = field.value }
            }
        }
    }

    private static func joined(_ description: String?, _ hint: String) -> String {
        guard let description, !description.isEmpty else { return hint }
        return description + " " + hint
    }

    /// A Gemini (OpenAPI-subset) schema as JSON Schema for OpenAI and Anthropic: upper-case type
    /// names (`STRING`) become lower-case, `nullable: true` becomes a `null` type alternative, and
    /// Gemini-only keys (`propertyOrdering`, `example`) are removed.
    static func toJSONSchema(_ schema: JSON) -> JSON {
        guard case .object(let object) = schema else { return schema }
        var result = JSONObject()
        result.fields.reserveCapacity(object.count)
        var nullable = false
        for field in object.fields {
            switch field.key {
            case "type":
                if case .string(let type) = field.value {
                    result.fields.append(JSONField(key: "type", value: .string(JSONText(type.string.lowercased()))))
                } else {
                    result.fields.append(field)
                }
            case "nullable":
                nullable = field.value.boolValue ?? false
            case "propertyOrdering", "example":
                continue
            case "properties":
                guard case .object(let properties) = field.value else { continue }
                var converted = JSONObject()
                for property in properties.fields {
                    converted.fields.append(JSONField(key: property.key, value: toJSONSchema(property.value)))
                }
                result.fields.append(JSONField(key: "properties", value: .object(converted)))
            case "items":
                result.fields.append(JSONField(key: "items", value: toJSONSchema(field.value)))
            case "anyOf":
                if case .array(let branches) = field.value {
                    result.fields.append(JSONField(key: "anyOf", value: .array(branches.map(toJSONSchema))))
                }
            default:
                result.fields.append(field)
            }
        }
        if nullable, case .string(let type)? = result["type"] {
            result["type"] = .array([.string(type), .string("null")])
        }
        return .object(result)
    }
}
