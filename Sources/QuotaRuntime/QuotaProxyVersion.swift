/// The version the executables report (`--version`, `status`).
public enum QuotaProxyVersion {
    public static let current = "0.1.0"
}
