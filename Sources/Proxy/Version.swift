/// The ccglass release.
package enum CCGlassVersion {
    package static let current = "0.1.0"
}
