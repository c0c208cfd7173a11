/// Turns a secret (API key, token) into a form that is safe to show: enough to tell two keys apart,
/// never enough to use one. `sk-live-abcdef123456` → `sk-l…3456`.
public enum SecretMasker {
    public static func mask(_ secret: String) -> String {
        let characters = Array(secret)
        guard characters.count >= 12 else {
            return characters.isEmpty ? "" : "…(\(characters.count) chars)"
        }
        return String(characters.prefix(4)) + "…" + String(characters.suffix(4))
    }
}
