/// Formats a quota percentage for operator messages without needless decimals:
/// `8` not `8.0`, `7.5` stays `7.5`, float noise such as `7.000000000000001` becomes `7`.
/// At most four decimals are kept.
public enum PercentText {
    /// `8.0` → `"8"`, `7.5` → `"7.5"`, `33.333333` → `"33.3333"`.
    public static func format(_ value: Double) -> String {
        guard value.isFinite else { return String(describing: value) }
        let scaled = (value * 10_000).rounded()
        if scaled == 0 { return "0" }
        let negative = scaled < 0
        let magnitude = abs(scaled)
        let whole = (magnitude / 10_000).rounded(.down)
        var fraction = Int(magnitude - whole * 10_000)
        var text = String(Int(whole))
        if fraction > 0 {
            var digits = 4
            while fraction % 10 == 0 {
                fraction /= 10
                digits -= 1
            }
            let fractionText = String(fraction)
            text += "." + String(repeating: "0", count: digits - fractionText.count) + fractionText
        }
        return negative ? "-" + text : text
    }
}
