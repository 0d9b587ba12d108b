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
        let bytes = [UInt8](data)
        return name.hasSuffix(".gz") ? try gunzip(bytes, name: name) : bytes
    }

    /// Inflates a gzip stream with zlib.
    static func gunzip(_ input: [UInt8], name: String) throws(AssayError) -> [UInt8] {
        var stream = z_stream()
        // 15 window bits + 32: detect gzip or zlib headers.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .internal("cannot start zlib to read \(name)")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 18)
        var input = input
        var status: Int32 = Z_OK
        input.withUnsafeMutableBufferPointer { source in
            stream.next_in = source.baseAddress
            stream.avail_in = UInt32(source.count)
            repeat {
                chunk.withUnsafeMutableBufferPointer { target in
                    stream.next_out = target.baseAddress
                    stream.avail_out = UInt32(target.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    output.append(contentsOf: target[0..<(target.count - Int(stream.avail_out))])
                }
            } while status == Z_OK
        }
        guard status == Z_STREAM_END else { throw .internal("resource \(name) is not a valid gzip file") }
        return output
    }
}
