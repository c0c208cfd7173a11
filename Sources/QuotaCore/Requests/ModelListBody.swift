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

    private static func geminiEntry(_ model: String) -> String {
        let name = ClientErrorBody.escape(model)
        return #"{"name":"models/\#(name)","displayName":"\#(name)","supportedGenerationMethods":["generateContent","streamGenerateContent","countTokens"]}"#
    }
}
