/// The decimals of every number `vz` prints as JSON, one convention across commands and routes (issue 15):
/// pixel coordinates 2 (a hundredth of a pixel), scores and probabilities 5, cosine similarities 6 (so a
/// similarity next to a 4-decimal threshold never reads as equal to it unless it is), thresholds 4,
/// milliseconds 3. Values are rounded in binary floating point and printed by the JSON encoders' shortest
/// round-trip form, so `0.3763` prints as `0.3763`, never `0.37630000710487366`.
public enum JSONPrecision {
    public static func pixels(_ v: Float) -> Float { rounded(v, 100) }
    public static func score(_ v: Float) -> Float { rounded(v, 100_000) }
    public static func similarity(_ v: Float) -> Float { rounded(v, 1_000_000) }
    public static func threshold(_ v: Float) -> Float { rounded(v, 10_000) }
    /// As a Double for `JSONSerialization` objects (a Float widened to Double would print all its binary digits).
    public static func threshold(_ v: Float) -> Double { rounded(Double(v), 10_000) }
    public static func score(_ v: Float) -> Double { rounded(Double(v), 100_000) }
    public static func pixels(_ v: Float) -> Double { rounded(Double(v), 100) }
    public static func milliseconds(_ v: Double) -> Double { rounded(v, 1000) }

    private static func rounded<T: BinaryFloatingPoint>(_ v: T, _ scale: T) -> T {
        v.isFinite ? (v * scale).rounded() / scale : v
    }
}
