/// The entries of a zip archive as `torch.save` writes it (PyTorch's `PyTorchStreamWriter`, miniz): every entry
/// STORED (uncompressed), data aligned to 64 bytes through padding in the local header's extra field, zip64
/// records when the archive or an entry passes 4 GiB.
///
/// Only what a torch checkpoint needs is read: the central directory (classic or zip64 end record), each entry's
/// name and the byte range of its data inside the file. Every offset and length is checked against the file
/// before it is used; a compressed or encrypted entry is refused with its name. CRCs are not verified (a flipped
/// bit in a weight is caught no better by a CRC than by the parity tests; a flipped bit in the pickle or a
/// header fails loudly in the structural checks).
struct TorchZipArchive {
    /// One entry: its name and where its bytes are in the file.
    struct Entry { var name: String; var dataOffset: Int; var size: Int }

    /// Entries in central-directory order, and by name.
    private(set) var entries: [Entry] = []
    private var byName: [String: Int] = [:]

    /// Most entries an archive may list (a torch checkpoint has one per storage plus a handful).
    static let maxEntries = 1 << 20

    /// True when `bytes` starts with a zip local-file header.
    static func looksLikeZip(_ bytes: [UInt8]) -> Bool { bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) }

    /// Parses the directory of the archive in `bytes`; `file` labels errors.
    init(bytes: [UInt8], file: String) throws {
        func fail(_ m: String) -> TorchPickleError { TorchPickleError(file: file, "zip archive: \(m)") }
        func u16(_ p: Int) -> Int { Int(bytes[p]) | Int(bytes[p + 1]) << 8 }
        func u32(_ p: Int) -> Int { u16(p) | u16(p + 2) << 16 }
        func u64(_ p: Int) -> UInt64 { UInt64(u32(p)) | UInt64(u32(p + 4)) << 32 }
        let n = bytes.count

        // End of central directory: 22 bytes + a comment of up to 65535 bytes, searched backwards.
        guard n >= 22 else { throw fail("file of \(n) bytes is too short for a zip end record") }
        var eocd = -1
        var p = n - 22
        while p >= max(0, n - 22 - 65535) {
            if bytes[p] == 0x50, bytes[p + 1] == 0x4B, bytes[p + 2] == 0x05, bytes[p + 3] == 0x06 { eocd = p; break }
            p -= 1
        }
        guard eocd >= 0 else { throw fail("end-of-central-directory record not found (truncated file?)") }
        var count = u16(eocd + 10)
        var dirSize = UInt64(u32(eocd + 12))
        var dirOffset = UInt64(u32(eocd + 16))
        if count == 0xFFFF || dirSize == 0xFFFF_FFFF || dirOffset == 0xFFFF_FFFF {
            // Zip64 end record locator (20 bytes) just before the classic end record.
            let loc = eocd - 20
            guard loc >= 0, u32(loc) == 0x0706_4B50 else { throw fail("zip64 end-record locator missing") }
            let rec64 = u64(loc + 8)
            guard rec64 <= UInt64(n - 56), u32(Int(rec64)) == 0x0606_4B50 else { throw fail("zip64 end record at \(rec64) is outside the file or malformed") }
            let r = Int(rec64)
            guard u64(r + 32) <= UInt64(Self.maxEntries) else { throw fail("\(u64(r + 32)) entries, over the limit of \(Self.maxEntries)") }
            count = Int(u64(r + 32)); dirSize = u64(r + 40); dirOffset = u64(r + 48)
        }
        guard count <= Self.maxEntries else { throw fail("\(count) entries, over the limit of \(Self.maxEntries)") }
        guard dirOffset <= UInt64(n), dirSize <= UInt64(n) - dirOffset else {
            throw fail("central directory (offset \(dirOffset), \(dirSize) bytes) lies outside the \(n)-byte file")
        }

        var q = Int(dirOffset)
        let dirEnd = Int(dirOffset + dirSize)
        entries.reserveCapacity(count)
        for index in 0..<count {
            guard q <= dirEnd - 46, u32(q) == 0x0201_4B50 else { throw fail("central directory entry \(index) is truncated or malformed") }
            let flags = u16(q + 8), method = u16(q + 10)
            var csize = UInt64(u32(q + 20)), usize = UInt64(u32(q + 24))
            let nameLen = u16(q + 28), extraLen = u16(q + 30), commentLen = u16(q + 32)
            var local = UInt64(u32(q + 42))
            guard q + 46 + nameLen + extraLen + commentLen <= dirEnd else { throw fail("central directory entry \(index) runs past the directory") }
            let name = String(decoding: bytes[(q + 46)..<(q + 46 + nameLen)], as: UTF8.self)
            // Zip64 extended information (header id 1): the 64-bit fields whose 32-bit values are all ones, in order.
            var e = q + 46 + nameLen
            let extraEnd = e + extraLen
            while e + 4 <= extraEnd {
                let id = u16(e), len = u16(e + 2)
                guard e + 4 + len <= extraEnd else { throw fail("\(name): extra field runs past its header") }
                if id == 1 {
                    var f = e + 4
                    func next() throws -> UInt64 {
                        guard f + 8 <= e + 4 + len else { throw fail("\(name): zip64 extra field too short") }
                        defer { f += 8 }
                        return u64(f)
                    }
                    if usize == 0xFFFF_FFFF { usize = try next() }
                    if csize == 0xFFFF_FFFF { csize = try next() }
                    if local == 0xFFFF_FFFF { local = try next() }
                }
                e += 4 + len
            }
            guard flags & 1 == 0 else { throw fail("\(name) is encrypted") }
            guard method == 0 else { throw fail("\(name) is compressed (method \(method)); torch.save writes entries stored, uncompressed") }
            guard csize == usize else { throw fail("\(name): stored entry with compressed size \(csize) ≠ size \(usize)") }
            // The local header repeats the name and has its own (alignment-padding) extra field.
            guard local <= UInt64(n - 30), u32(Int(local)) == 0x0403_4B50 else { throw fail("\(name): local header at \(local) is outside the file or malformed") }
            let l = Int(local)
            let data = l + 30 + u16(l + 26) + u16(l + 28)
            guard data <= n, usize <= UInt64(n - data) else { throw fail("\(name): \(usize) bytes at \(data) run past the end of the \(n)-byte file") }
            if byName[name] != nil { throw fail("entry \(name) appears twice") }
            byName[name] = entries.count
            entries.append(Entry(name: name, dataOffset: data, size: Int(usize)))
            q += 46 + nameLen + extraLen + commentLen
        }
    }

    /// The entry called `name`, if any.
    func entry(_ name: String) -> Entry? { byName[name].map { entries[$0] } }
}
