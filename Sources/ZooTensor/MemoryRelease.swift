#if canImport(Glibc)
import Glibc
#endif

/// Returning freed memory to the operating system.
public enum MemoryRelease {
    #if canImport(Glibc)
    /// glibc's `malloc_trim(size_t pad)`, looked up at run time (Swift's Glibc module does not export
    /// `<malloc.h>`); nil with another C library.
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
        return unsafeBitCast(sym, to: (@convention(c) (Int) -> Int32).self)
    }()
    #endif

    /// Asks the C allocator to give back freed heap pages of every arena (glibc `malloc_trim(0)`); call after
    /// dropping large buffers that will not be needed again soon (e.g. the plan of an unusual input size).
    public static func returnFreedMemory() {
        #if canImport(Glibc)
        _ = mallocTrim?(0)
        #endif
    }
}
