import CZlib
import Foundation

/// Data files shipped inside the Assay library.
enum BundledResource {
    /// The bytes of a resource, gunzipped when its name ends in `.gz`.
    static func data(_ name: String) throws(AssayError) -> [UInt8] {
        guard
            let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Resources")
                ?? Bundle.module.url(forResource: name, withExtension: nil),
            let data = FileManager.default.contents(atPath: url.path)
        else {
            throw .internal("resource \(name) is missing from \(Bundle.module.bundlePath); rebuild Assay")
        }
        guard name.hasSuffix(".gz") else { return [UInt8](data) }
        let inflated = data.withUnsafeBytes { bytes in Result { () throws(AssayError) in try gunzip(bytes, name: name) } }
        return try inflated.get()
    }

    /// Inflates a gzip stream with zlib, straight into an array of the size the stream's trailer
    /// gives (one allocation, no copies).
    static func gunzip(_ input: UnsafeRawBufferPointer, name: String) throws(AssayError) -> [UInt8] {
        var stream = z_stream()
        // 15 window bits + 32: detect gzip or zlib headers.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .internal("cannot start zlib to read \(name)")
        }
        defer { inflateEnd(&stream) }
        // A gzip member ends with its uncompressed size modulo 2^32 (little-endian): a first guess.
        var capacity = 1 << 16
        if input.count >= 18 {
            capacity = max(capacity, Int(input.loadUnaligned(fromByteOffset: input.count - 4, as: UInt32.self).littleEndian))
        }
        var output = [UInt8](repeating: 0, count: capacity)
        var produced = 0
        var status: Int32 = Z_OK
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.avail_in = UInt32(input.count)
        repeat {
            if produced == output.count { output.append(contentsOf: repeatElement(0, count: output.count)) }
            output.withUnsafeMutableBufferPointer { target in
                stream.next_out = target.baseAddress! + produced
                stream.avail_out = UInt32(target.count - produced)
                status = inflate(&stream, Z_NO_FLUSH)
                produced = target.count - Int(stream.avail_out)
            }
        } while status == Z_OK
        guard status == Z_STREAM_END else { throw .internal("resource \(name) is not a valid gzip file") }
        output.removeLast(output.count - produced)
        return output
    }
}
