/// Version and build facts shown by `vz --version` and `vz info`.
public enum VisionZooVersion {
    public static let string = "0.1.0"
    #if DEBUG
    public static let buildConfiguration = "debug"
    #else
    public static let buildConfiguration = "release"
    #endif
}
