/// The ccglass release.
public enum CCGlassVersion {
    public static let current = "0.1.0"
}
