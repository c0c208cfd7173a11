/// The bodies of the model list routes, in each protocol's shape.
public enum ModelListBody {
    /// `GET /v1/models`: `{"object":"list","data":[{"id","object":"model","created","owned_by"}]}`.
    public static func openAIList(_ models: [String]) -> [UInt8] {
        Array(#"{"object":"list","data":[\#(models.map(openAIEntry).joined(separator: ","))]}"#.utf8)
    }

    /// `GET /v1/models/{id}`: one model object.
    public static func openAIModel(_ model: String) -> [UInt8] {
        Array(openAIEntry(model).utf8)
    }

    /// `GET /v1/models` asked by an Anthropic client (it sends `anthropic-version`), in the
    /// Anthropic API's shape: `{"data":[{"type":"model","id","display_name","created_at"}],
    /// "has_more":false,"first_id","last_id"}`.
    public static func anthropicList(_ models: [String]) -> [UInt8] {
        let first = models.first.map { "\"" + ClientErrorBody.escape($0) + "\"" } ?? "null"
        let last = models.last.map { "\"" + ClientErrorBody.escape($0) + "\"" } ?? "null"
        return Array(
            #"{"data":[\#(models.map(anthropicEntry).joined(separator: ","))],"has_more":false,"first_id":\#(first),"last_id":\#(last)}"#.utf8)
    }

    /// `GET /v1/models/{id}` asked by an Anthropic client: one Anthropic model object.
    public static func anthropicModel(_ model: String) -> [UInt8] {
        Array(anthropicEntry(model).utf8)
    }

    /// `GET /v1beta/models`: `{"models":[{"name":"models/…","displayName","supportedGenerationMethods"}]}`.
    public static func geminiList(_ models: [String]) -> [UInt8] {
        Array(#"{"models":[\#(models.map(geminiEntry).joined(separator: ","))]}"#.utf8)
    }

    /// `GET /v1beta/models/{model}`: one model object.
    public static func geminiModel(_ model: String) -> [UInt8] {
        Array(geminiEntry(model).utf8)
    }

    private static func openAIEntry(_ model: String) -> String {
        #"{"id":"\#(ClientErrorBody.escape(model))","object":"model","created":0,"owned_by":"quota-proxy"}"#
    }

    private static func anthropicEntry(_ model: String) -> String {
        let name = ClientErrorBody.escape(model)
        return #"{"type":"model","id":"\#(name)","display_name":"\#(name)","created_at":"1970-01-01T00:00:00Z"}"#
    }

    private static func geminiEntry(_ model: String) -> String {
        let name = ClientErrorBody.escape(model)
        return #"{"name":"models/\#(name)","displayName":"\#(name)","supportedGenerationMethods":["generateContent","streamGenerateContent","countTokens"]}"#
    }
}
