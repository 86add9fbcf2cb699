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
    /// glibc's `mallopt(int, int)`.
    private static let mallopt: (@convention(c) (Int32, Int32) -> Int32)? = {
        guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return nil }
        return unsafeBitCast(sym, to: (@convention(c) (Int32, Int32) -> Int32).self)
    }()
    #endif

    /// For long-running processes (`vz serve`): serve every allocation of `threshold` bytes or more (tensors,
    /// image buffers, request bodies) with its own mapping, returned to the system when freed. glibc otherwise
    /// raises its mmap threshold after the first large free (up to 32 MiB), after which large buffers come from
    /// the heap and one oversized request leaves its memory fragmented there. Returns whether it applied.
    @discardableResult
    public static func mapLargeAllocations(threshold: Int32 = 1 << 20) -> Bool {
        #if canImport(Glibc)
        // <malloc.h>: M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3 (setting either fixes both: no dynamic growth).
        guard let mallopt else { return false }
        return mallopt(-3, threshold) == 1 && mallopt(-1, 4 << 20) == 1
        #else
        return false
        #endif
    }

    /// Asks the C allocator to give back freed heap pages of every arena (glibc `malloc_trim(0)`); call after
    /// dropping large buffers that will not be needed again soon (e.g. the plan of an unusual input size).
    public static func returnFreedMemory() {
        #if canImport(Glibc)
        _ = mallocTrim?(0)
        #endif
    }
}
